import { createPrivateKey, randomUUID, sign } from 'node:crypto'

/**
 * Obtains an access token from an OAuth server the way the federation's does it (brief §3.1): client_credentials
 * with a `private_key_jwt` client assertion (RS256). Used by `ebox-conformance token` so that a token command
 * can ask the federation's ACC server for a token of each role.
 */
export interface ClientCredentialsOptions {
  tokenUrl: string
  clientId: string
  /** PEM (PKCS#8 or PKCS#1) RSA private key of the client. */
  privateKeyPem: string
  /** Space-separated scopes; none ⇒ the client's default scopes. */
  scope?: string
  /** `aud` of the assertion; default the token URL (OAuth v5). */
  audience?: string
  kid?: string
  fetch?: typeof fetch
}

export class ClientCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ClientCredentialsError'
  }
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url')
}

/** The signed client assertion: iss = sub = client id, aud = token URL, 60 s of life, a fresh jti. */
export function buildClientAssertion(
  options: Pick<ClientCredentialsOptions, 'tokenUrl' | 'clientId' | 'privateKeyPem' | 'audience' | 'kid'>,
): string {
  const key = createPrivateKey(options.privateKeyPem)
  if (key.asymmetricKeyType !== 'rsa')
    throw new ClientCredentialsError('the client key must be an RSA private key (RS256)')
  const now = Math.floor(Date.now() / 1000)
  const header = { alg: 'RS256', typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}) }
  const payload = {
    iss: options.clientId,
    sub: options.clientId,
    aud: options.audience ?? options.tokenUrl,
    jti: randomUUID(),
    iat: now,
    exp: now + 60,
  }
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  return `${signingInput}.${base64url(sign('RSA-SHA256', Buffer.from(signingInput), key))}`
}

export async function requestClientCredentialsToken(options: ClientCredentialsOptions): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: buildClientAssertion(options),
  })
  if (options.scope) form.set('scope', options.scope)
  let response: Response
  try {
    response = await (options.fetch ?? fetch)(options.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(30_000),
    })
  } catch (error) {
    throw new ClientCredentialsError(
      `${options.tokenUrl} could not be reached: ${(error as Error).message}`,
      { cause: error },
    )
  }
  const text = await response.text()
  let body: { access_token?: unknown; error?: unknown; error_description?: unknown } = {}
  try {
    body = JSON.parse(text)
  } catch {
    // reported below
  }
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason =
      typeof body.error === 'string'
        ? `${body.error}${body.error_description ? `: ${String(body.error_description)}` : ''}`
        : text.slice(0, 200)
    throw new ClientCredentialsError(`${options.tokenUrl} answered ${response.status}: ${reason}`)
  }
  return body.access_token
}
