import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  type KeyObject,
  SignJWT,
} from 'jose'
import {
  ACCESS_TOKEN_TYPE,
  CBE_ATTRIBUTE,
  CLIENT_ASSERTION_TYPE,
  DEFAULT_AUDIENCE,
  DEFAULT_CLIENT_ID,
  DEFAULT_TOKEN_TTL_SECONDS,
  INTROSPECT_SCOPE,
  MAX_ASSERTION_LIFETIME_SECONDS,
  SSIN_ATTRIBUTE,
} from './constants.ts'
import { assertNotProduction, TokenIssuerError } from './errors.ts'

export interface TokenIssuerOptions {
  /** Default 0: a free port. */
  port?: number
  /** Default 127.0.0.1. Only loopback hosts are accepted unless `allowNonLoopback`. */
  host?: string
  /** `iss` of minted tokens and of the metadata. Default: the server's URL. */
  issuer?: string
  /** Default `aud` of minted tokens. Default {@link DEFAULT_AUDIENCE}. */
  audience?: string
  /** Lifetime of minted tokens. Default 3600. */
  tokenTtlSeconds?: number
  /** Serve the `/dev/*` endpoints (mint, clients, revoke, introspection behaviour). Default true. */
  devEndpoints?: boolean
  /** Allow binding a non-loopback host (e.g. 0.0.0.0 inside a container). Default false. */
  allowNonLoopback?: boolean
}

export interface MintClaims {
  /** Granted scopes: an array or an already space-separated string. */
  scopes: readonly string[] | string
  /** Enterprise number, copied as is into `principalAttributes[CBE_ATTRIBUTE]` (no padding). */
  cbe?: string
  /** Citizen SSIN, into `principalAttributes[SSIN_ATTRIBUTE]`; also the default `sub`. */
  ssin?: string
  /** Default: `ssin`, else `clientId`. */
  sub?: string
  /** Default {@link DEFAULT_CLIENT_ID}. */
  clientId?: string
  /** Seconds from now until `exp` (default: the issuer's TTL). Negative mints an expired token. */
  expiresIn?: number
  /** `nbf` in epoch seconds (default: now). */
  notBefore?: number
  issuer?: string
  audience?: string | string[]
  /** Extra claims, merged last: they may override any claim above. */
  extra?: Record<string, unknown>
}

export interface RegisterClientOptions {
  /** Scopes the client may obtain. Default: none (every token request then fails with invalid_scope). */
  scopes?: readonly string[]
  /** Enterprise number put in the client's tokens. */
  cbe?: string
}

/**
 * `down` destroys the connection without an answer, `unavailable` answers 503, `error` answers 500,
 * `slow` waits `slowMs` then answers normally.
 */
export type IntrospectionBehaviour = 'normal' | 'down' | 'unavailable' | 'slow' | 'error'

export const INTROSPECTION_BEHAVIOURS: readonly IntrospectionBehaviour[] = [
  'normal',
  'down',
  'unavailable',
  'slow',
  'error',
]

export type IntrospectionResponse =
  | { active: false }
  | ({ active: true; token_type: 'access_token' } & AccessTokenClaims)

export interface AccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf: number
  jti: string
  client_id: string
  scope: string
  principalAttributes: Record<string, string[]>
}

export interface TokenIssuer {
  readonly url: string
  readonly issuer: string
  readonly audience: string
  readonly jwksUrl: string
  readonly tokenUrl: string
  readonly introspectionUrl: string
  readonly metadataUrl: string
  /** kid of the current signing key. */
  readonly kid: string
  mint(claims: MintClaims): Promise<string>
  /** Introspection answers `active: false` for the token from now on. Returns whether it was known. */
  revoke(token: string): boolean
  /** What `POST /introspect` would answer for this token. */
  introspect(token: string): IntrospectionResponse
  registerClient(
    clientId: string,
    publicKey: JWK | CryptoKey | KeyObject,
    options?: RegisterClientOptions,
  ): Promise<void>
  /** New signing key and kid; the previous key stays in the JWKS unless `keepPrevious: false`. */
  rotateKeys(options?: { keepPrevious?: boolean }): Promise<string>
  setIntrospectionBehaviour(behaviour: IntrospectionBehaviour, slowMs?: number): void
  close(): Promise<void>
}

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

interface Client {
  key: CryptoKey | KeyObject
  scopes: readonly string[]
  cbe: string | undefined
}

interface IssuedToken {
  claims: AccessTokenClaims
  revoked: boolean
}

/** An OAuth error answer (RFC 6749 §5.2, RFC 6750 §3). */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description)
  }
}

const MAX_BODY_BYTES = 64 * 1024
const DEFAULT_SLOW_MS = 2000

const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex')
const splitScopes = (scope: string): string[] => scope.split(' ').filter((s) => s.length > 0)

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } }
}

function isJwk(key: JWK | CryptoKey | KeyObject): key is JWK {
  return 'kty' in key
}

async function toPublicKey(
  clientId: string,
  key: JWK | CryptoKey | KeyObject,
): Promise<CryptoKey | KeyObject> {
  if (isJwk(key)) {
    if (key.d !== undefined) {
      throw new TokenIssuerError(
        'INVALID_KEY',
        `client ${clientId}: register the public key, not the private JWK`,
      )
    }
    try {
      const imported = await importJWK(key, 'RS256')
      if (imported instanceof Uint8Array) throw new Error('symmetric key')
      return imported
    } catch (cause) {
      throw new TokenIssuerError('INVALID_KEY', `client ${clientId}: not an RS256 public JWK`, { cause })
    }
  }
  if (key.type !== 'public') {
    throw new TokenIssuerError(
      'INVALID_KEY',
      `client ${clientId}: register the public key, not a ${key.type} key`,
    )
  }
  return key
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
  const usedAssertions = new Map<string, number>()
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
    if (claims.ssin !== undefined) principalAttributes[SSIN_ATTRIBUTE] = [claims.ssin]
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

  // ---- token endpoint (RFC 6749 §4.4 + RFC 7523 §2.2 client authentication) ----

  async function authenticateClient(form: URLSearchParams): Promise<[string, Client]> {
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
      throw new OAuthError(401, 'invalid_client', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`)
    }
    const assertion = form.get('client_assertion')
    if (!assertion) throw new OAuthError(401, 'invalid_client', 'client_assertion is missing')
    let clientId: unknown
    try {
      clientId = decodeJwt(assertion).iss
    } catch {
      throw new OAuthError(401, 'invalid_client', 'client_assertion is not a JWT')
    }
    const client = typeof clientId === 'string' ? clients.get(clientId) : undefined
    if (typeof clientId !== 'string' || !client) {
      throw new OAuthError(401, 'invalid_client', 'unknown client')
    }
    const formClientId = form.get('client_id')
    if (formClientId !== null && formClientId !== clientId) {
      throw new OAuthError(401, 'invalid_client', 'client_id does not match the assertion issuer')
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(assertion, client.key, {
        algorithms: ['RS256'],
        issuer: clientId,
        subject: clientId,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
      }))
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'verification failed'
      throw new OAuthError(401, 'invalid_client', `client_assertion rejected: ${reason}`)
    }
    const now = nowSeconds()
    const exp = payload.exp!
    if (exp - now > MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError(
        401,
        'invalid_client',
        `client_assertion lives too long (at most ${MAX_ASSERTION_LIFETIME_SECONDS} s)`,
      )
    }
    for (const [key, expiry] of usedAssertions) if (expiry < now) usedAssertions.delete(key)
    const replayKey = `${clientId}\u0000${payload.jti}`
    if (usedAssertions.has(replayKey)) {
      throw new OAuthError(401, 'invalid_client', 'client_assertion jti already used')
    }
    usedAssertions.set(replayKey, exp)
    return [clientId, client]
  }

  async function tokenEndpoint(form: URLSearchParams): Promise<Record<string, unknown>> {
    const grantType = form.get('grant_type')
    if (grantType === null) throw new OAuthError(400, 'invalid_request', 'grant_type is missing')
    if (grantType !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials is supported')
    }
    const [clientId, client] = await authenticateClient(form)
    const requested = form.get('scope')
    const granted =
      requested === null || requested.trim() === ''
        ? [...client.scopes]
        : [...new Set(splitScopes(requested))].filter((scope) => client.scopes.includes(scope))
    if (granted.length === 0) {
      throw new OAuthError(400, 'invalid_scope', 'none of the requested scopes is allowed for this client')
    }
    const accessToken = await mint({ scopes: granted, clientId, sub: clientId, cbe: client.cbe })
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: granted.join(' ') }
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

  // ---- dev endpoints (JSON; what the CLI and black-box tests use) ----

  async function devEndpoint(path: string, body: unknown): Promise<[number, unknown]> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    switch (path) {
      case '/dev/mint': {
        const claims = parseMintClaims(input)
        const token = await mint(claims)
        const { exp, scope } = decodeJwt(token)
        return [
          200,
          { access_token: token, token_type: 'Bearer', expires_in: Number(exp) - nowSeconds(), scope },
        ]
      }
      case '/dev/clients': {
        const { clientId, jwk, scopes, cbe } = input
        if (typeof clientId !== 'string' || typeof jwk !== 'object' || jwk === null) {
          throw new OAuthError(400, 'invalid_request', 'expected { clientId, jwk, scopes?, cbe? }')
        }
        if (!isOptionalStringArray(scopes) || !isOptional(cbe, 'string')) {
          throw new OAuthError(400, 'invalid_request', 'scopes must be a string array and cbe a string')
        }
        try {
          await registerClient(clientId, jwk as JWK, { scopes, cbe })
        } catch (error) {
          if (error instanceof TokenIssuerError) throw new OAuthError(400, 'invalid_request', error.message)
          throw error
        }
        return [204, undefined]
      }
      case '/dev/revoke': {
        if (typeof input.token !== 'string')
          throw new OAuthError(400, 'invalid_request', 'expected { token }')
        return [200, { revoked: revoke(input.token) }]
      }
      case '/dev/introspection-behaviour': {
        const { behaviour: next, slowMs: nextSlowMs } = input
        if (
          !INTROSPECTION_BEHAVIOURS.includes(next as IntrospectionBehaviour) ||
          !isOptional(nextSlowMs, 'number')
        ) {
          throw new OAuthError(
            400,
            'invalid_request',
            `behaviour must be one of ${INTROSPECTION_BEHAVIOURS.join(', ')}`,
          )
        }
        setIntrospectionBehaviour(next as IntrospectionBehaviour, nextSlowMs)
        return [204, undefined]
      }
      default:
        return [404, { error: 'not_found' }]
    }
  }

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

function isOptional(value: unknown, type: 'string' | 'number'): value is undefined {
  return value === undefined || typeof value === type
}

function isOptionalStringArray(value: unknown): value is string[] | undefined {
  return value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'))
}

/** Validates the JSON body of `POST /dev/mint`. */
export function parseMintClaims(input: Record<string, unknown>): MintClaims {
  const { scopes, cbe, ssin, sub, clientId, expiresIn, notBefore, issuer, audience, extra } = input
  const valid =
    (typeof scopes === 'string' || isOptionalStringArray(scopes)) &&
    [cbe, ssin, sub, clientId, issuer].every((value) => isOptional(value, 'string')) &&
    [expiresIn, notBefore].every((value) => isOptional(value, 'number')) &&
    (typeof audience === 'string' || isOptionalStringArray(audience)) &&
    (extra === undefined || (typeof extra === 'object' && extra !== null && !Array.isArray(extra)))
  if (!valid) throw new OAuthError(400, 'invalid_request', 'malformed mint claims')
  return {
    ...(input as Omit<MintClaims, 'scopes'>),
    scopes: (scopes as string | string[] | undefined) ?? [],
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new OAuthError(413, 'invalid_request', 'request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'expected application/x-www-form-urlencoded')
  }
  return new URLSearchParams(await readBody(req))
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req)
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new OAuthError(400, 'invalid_request', 'malformed JSON body')
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return
  if (body === undefined) {
    res.writeHead(status, headers).end()
    return
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}
