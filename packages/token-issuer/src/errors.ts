export type TokenIssuerErrorCode =
  | 'PRODUCTION_REFUSED'
  | 'NON_LOOPBACK_HOST'
  | 'INVALID_KEY'
  | 'INVALID_ARGUMENT'

/** Every error the library throws on misuse: a stable `code` and a one-line message. */
export class TokenIssuerError extends Error {
  override readonly name = 'TokenIssuerError'
  readonly code: TokenIssuerErrorCode

  constructor(code: TokenIssuerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Throws when NODE_ENV is production: this server signs whatever it is asked to. */
export function assertNotProduction(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV?.trim().toLowerCase() === 'production') {
    throw new TokenIssuerError(
      'PRODUCTION_REFUSED',
      'ebox-token-issuer is a development stand-in for the federation OAuth server and refuses to run with NODE_ENV=production',
    )
  }
}
