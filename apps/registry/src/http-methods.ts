/** The HTTP methods the API answers (CORS preflight lists them). */
export const API_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'] as const

/** The methods that change state: audited unless it is certain they failed (plugins/app/audit.ts). */
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
