import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, type JWK, type KeyObject, SignJWT } from 'jose'
import {
  ACCESS_TOKEN_TYPE,
  CBE_ATTRIBUTE,
  DEFAULT_AUDIENCE,
  DEFAULT_CLIENT_ID,
  DEFAULT_TOKEN_TTL_SECONDS,
  INTROSPECT_SCOPE,
  SSIN_ATTRIBUTE,
} from './constants.ts'
import { createDevEndpoints } from './dev-endpoints.ts'
import { assertNotProduction, TokenIssuerError } from './errors.ts'
import { OAuthError, readForm, readJson, sendJson } from './http.ts'
import { newSigningKey, type SigningKey, toPublicKey } from './keys.ts'
import { type Client, createTokenEndpoint, nowSeconds, splitScopes } from './token-endpoint.ts'
import {
  type AccessTokenClaims,
  INTROSPECTION_BEHAVIOURS,
  type IntrospectionBehaviour,
  type IntrospectionResponse,
  type MintClaims,
  type RegisterClientOptions,
  type TokenIssuer,
  type TokenIssuerOptions,
} from './types.ts'

export { parseMintClaims } from './dev-endpoints.ts'
export * from './types.ts'

/** What the issuer remembers of a token it minted (keyed by the token's SHA-256): introspection answers. */
interface IssuedToken {
  claims: AccessTokenClaims
  revoked: boolean
}

const DEFAULT_SLOW_MS = 2000
const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex')

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Starts the stand-in OAuth server on loopback. Refuses NODE_ENV=production.
 */
export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  assertNotProduction()
  const host = options.host ?? '127.0.0.1'
  if (!isLoopbackHost(host) && !options.allowNonLoopback) {
    throw new TokenIssuerError(
      'NON_LOOPBACK_HOST',
      `refusing to listen on ${host}: only loopback hosts unless allowNonLoopback is set`,
    )
  }
  const ttl = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS
  const audience = options.audience ?? DEFAULT_AUDIENCE
  const devEndpoints = options.devEndpoints ?? true

  let keys: SigningKey[] = [await newSigningKey()]
  const clients = new Map<string, Client>()
  const issued = new Map<string, IssuedToken>()
  let behaviour: IntrospectionBehaviour = 'normal'
  let slowMs = DEFAULT_SLOW_MS
  let closing = false
  const pendingSleeps = new Set<() => void>()

  // Filled in once the server listens (the port may be 0).
  let url = ''
  let issuer = ''
  let tokenUrl = ''

  function currentKey(): SigningKey {
    return keys[0]!
  }

  function pruneExpired(): void {
    const cutoff = nowSeconds() - 60
    for (const [hash, token] of issued) if (token.claims.exp < cutoff) issued.delete(hash)
  }

  async function mint(claims: MintClaims): Promise<string> {
    const now = nowSeconds()
    const clientId = claims.clientId ?? DEFAULT_CLIENT_ID
    const principalAttributes: Record<string, string[]> = {}
    if (claims.cbe !== undefined) principalAttributes[CBE_ATTRIBUTE] = [claims.cbe]
    if (claims.ssin !== undefined) principalAttributes[options.ssinClaim ?? SSIN_ATTRIBUTE] = [claims.ssin]
    const payload = {
      iss: claims.issuer ?? issuer,
      sub: claims.sub ?? claims.ssin ?? clientId,
      aud: claims.audience ?? audience,
      exp: now + (claims.expiresIn ?? ttl),
      iat: now,
      nbf: claims.notBefore ?? now,
      jti: randomUUID(),
      client_id: clientId,
      scope: typeof claims.scopes === 'string' ? claims.scopes : claims.scopes.join(' '),
      principalAttributes,
      ...claims.extra,
    } as AccessTokenClaims
    const key = currentKey()
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: ACCESS_TOKEN_TYPE, kid: key.kid })
      .sign(key.privateKey)
    if (issued.size > 0 && issued.size % 1000 === 0) pruneExpired()
    issued.set(sha256(token), { claims: payload, revoked: false })
    return token
  }

  function revoke(token: string): boolean {
    const entry = issued.get(sha256(token))
    if (entry) entry.revoked = true
    return entry !== undefined
  }

  function activeClaims(token: string): AccessTokenClaims | undefined {
    const entry = issued.get(sha256(token))
    if (!entry || entry.revoked) return undefined
    const now = nowSeconds()
    if (typeof entry.claims.exp === 'number' && entry.claims.exp <= now) return undefined
    if (typeof entry.claims.nbf === 'number' && entry.claims.nbf > now) return undefined
    return entry.claims
  }

  function introspect(token: string): IntrospectionResponse {
    const claims = activeClaims(token)
    return claims ? { active: true, token_type: 'access_token', ...claims } : { active: false }
  }

  async function registerClient(
    clientId: string,
    publicKey: JWK | CryptoKey | KeyObject,
    clientOptions: RegisterClientOptions = {},
  ): Promise<void> {
    if (clientId.length === 0) throw new TokenIssuerError('INVALID_ARGUMENT', 'clientId must not be empty')
    clients.set(clientId, {
      key: await toPublicKey(clientId, publicKey),
      scopes: [...(clientOptions.scopes ?? [])],
      cbe: clientOptions.cbe,
    })
  }

  async function rotateKeys(rotateOptions: { keepPrevious?: boolean } = {}): Promise<string> {
    const key = await newSigningKey()
    keys = rotateOptions.keepPrevious === false ? [key] : [key, currentKey()]
    return key.kid
  }

  function setIntrospectionBehaviour(next: IntrospectionBehaviour, nextSlowMs?: number): void {
    if (!INTROSPECTION_BEHAVIOURS.includes(next)) {
      throw new TokenIssuerError('INVALID_ARGUMENT', `unknown introspection behaviour: ${String(next)}`)
    }
    behaviour = next
    slowMs = nextSlowMs ?? DEFAULT_SLOW_MS
  }

  /** Resolves after `ms`, or at once when the server closes. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        pendingSleeps.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      pendingSleeps.add(done)
    })
  }

  // ---- introspection endpoint (RFC 7662) ----

  function authorizeIntrospection(req: IncomingMessage): void {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    const claims = match ? activeClaims(match[1]!) : undefined
    if (!claims) throw new OAuthError(401, 'invalid_token', 'a valid Bearer token is required')
    if (!splitScopes(String(claims.scope ?? '')).includes(INTROSPECT_SCOPE)) {
      throw new OAuthError(401, 'insufficient_scope', `the Bearer token lacks ${INTROSPECT_SCOPE}`)
    }
  }

  function metadata(): Record<string, unknown> {
    return {
      issuer,
      token_endpoint: tokenUrl,
      jwks_uri: `${url}/.well-known/jwks.json`,
      introspection_endpoint: `${url}/introspect`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      introspection_endpoint_auth_methods_supported: ['bearer'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    }
  }

  const tokenEndpoint = createTokenEndpoint({ clients, tokenUrl: () => tokenUrl, mint, ttl })
  const devEndpoint = createDevEndpoints({ mint, registerClient, revoke, setIntrospectionBehaviour })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const method = req.method ?? 'GET'
    try {
      if (method === 'GET' && (path === '/.well-known/jwks.json' || path === '/jwks')) {
        return sendJson(res, 200, { keys: keys.map((key) => key.publicJwk) })
      }
      if (
        method === 'GET' &&
        (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server')
      ) {
        return sendJson(res, 200, metadata())
      }
      if (method === 'POST' && path === '/token') {
        const form = await readForm(req)
        return sendJson(res, 200, await tokenEndpoint(form), {
          'cache-control': 'no-store',
          pragma: 'no-cache',
        })
      }
      if (method === 'POST' && path === '/introspect') {
        switch (behaviour) {
          case 'down':
            req.socket.destroy()
            return
          case 'unavailable':
            return sendJson(res, 503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' })
          case 'error':
            return sendJson(res, 500, { error: 'server_error' })
          case 'slow':
            await sleep(slowMs)
            if (closing || req.socket.destroyed) return
            break
          case 'normal':
            break
        }
        authorizeIntrospection(req)
        const token = (await readForm(req)).get('token')
        if (!token) throw new OAuthError(400, 'invalid_request', 'token is missing')
        return sendJson(res, 200, introspect(token), { 'cache-control': 'no-store' })
      }
      if (devEndpoints && path.startsWith('/dev/') && (method === 'POST' || method === 'PUT')) {
        const [status, body] = await devEndpoint(path, await readJson(req))
        return sendJson(res, status, body)
      }
      return sendJson(res, 404, { error: 'not_found' })
    } catch (error) {
      if (error instanceof OAuthError) {
        const headers: Record<string, string> =
          error.error === 'invalid_token' || error.error === 'insufficient_scope'
            ? { 'www-authenticate': `Bearer error="${error.error}"` }
            : {}
        return sendJson(
          res,
          error.status,
          { error: error.error, error_description: error.description },
          headers,
        )
      }
      return sendJson(res, 500, { error: 'server_error' })
    }
  }

  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  issuer = options.issuer ?? url
  tokenUrl = `${url}/token`

  return {
    url,
    issuer,
    audience,
    jwksUrl: `${url}/.well-known/jwks.json`,
    tokenUrl,
    introspectionUrl: `${url}/introspect`,
    metadataUrl: `${url}/.well-known/oauth-authorization-server`,
    get kid() {
      return currentKey().kid
    },
    mint,
    revoke,
    introspect,
    registerClient,
    rotateKeys,
    setIntrospectionBehaviour,
    async close() {
      closing = true
      for (const wake of [...pendingSleeps]) wake()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
