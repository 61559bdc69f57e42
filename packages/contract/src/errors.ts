/**
 * The one error table: every error the service can return is a row with a stable code, an HTTP status and a
 * default message. The wire body (`StatusMessage`) is built from it by `toStatusMessage`, never by hand.
 */
export const ERRORS = {
  INVALID_INPUT: { status: 400, message: 'The request is not valid.' },
  UNAUTHENTICATED: { status: 401, message: 'The access token is missing, invalid or expired.' },
  FORBIDDEN: { status: 403, message: 'The access token does not grant this operation.' },
  NO_MANDATE: { status: 403, message: 'The caller holds no mandate to act for this enterprise.' },
  NOT_FOUND: { status: 404, message: 'The resource does not exist.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The method is not allowed on this resource.' },
  NOT_ACCEPTABLE: { status: 406, message: 'The requested representation is not available.' },
  DUPLICATE_PUBLICATION: {
    status: 409,
    message: 'A message with this Idempotency-Key was already published by this sender application.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request body arrived too slowly; send it again without pauses.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request content type is not supported.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is not satisfiable.' },
  INVALID_SENDER: { status: 400, message: 'User credentials do not match the payload.' },
  DIGEST_DO_NOT_MATCH: { status: 400, message: 'The digest does not match the content.' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests; retry later.' },
  INTERNAL_ERROR: { status: 500, message: 'An unexpected error occurred.' },
  NOT_IMPLEMENTED: {
    status: 501,
    message: 'The implementation of this operation is optional and not provided.',
  },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable.' },
  AUTHORIZATION_SERVER_UNAVAILABLE: {
    status: 503,
    message: 'The authorisation server could not be reached; retry later.',
  },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERRORS

/** Environments a `StatusMessage` may name (v2.1 enum). */
export const ENVIRONMENTS = [
  'development',
  'test',
  'integration',
  'acceptation',
  'simulation',
  'production',
] as const
export type DeploymentEnvironment = (typeof ENVIRONMENTS)[number]

export interface StatusMessageBody {
  id: string
  code: string
  message: string
  environment: DeploymentEnvironment
}

/** A failure the service means to report: carries a code of the table and an optional precise message. */
export class RegistryError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message ?? ERRORS[code].message, { cause: options?.cause })
    this.name = 'RegistryError'
    this.code = code
    this.status = ERRORS[code].status
    this.headers = options?.headers ?? {}
  }
}

export function toStatusMessage(
  id: string,
  code: ErrorCode,
  environment: DeploymentEnvironment,
  message?: string,
): StatusMessageBody {
  return { id, code, message: message ?? ERRORS[code].message, environment }
}

/** The table row for an HTTP status the framework raised itself (404 route, 413 body, …). */
export function codeForStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    400: 'INVALID_INPUT',
    401: 'UNAUTHENTICATED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    406: 'NOT_ACCEPTABLE',
    408: 'REQUEST_TIMEOUT',
    409: 'DUPLICATE_PUBLICATION',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    416: 'RANGE_NOT_SATISFIABLE',
    429: 'TOO_MANY_REQUESTS',
    501: 'NOT_IMPLEMENTED',
    503: 'SERVICE_UNAVAILABLE',
  }
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_INPUT')
}
