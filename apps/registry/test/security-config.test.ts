import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { ENVIRONMENT_DEFAULTS } from '../src/environment-defaults.ts'

/** The OAuth, Partition service, CORS and rate-limit settings (README "Configuration of the registry"). */
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
// ACC and PRD require PUBLIC_BASE_URL (absolute hrefs): set here so each test sees only the variables it is about.
const BASE = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', PUBLIC_BASE_URL: 'https://registry.example' }
const JWT = {
  ...BASE,
  OAUTH_ISSUER: 'https://iss',
  OAUTH_AUDIENCE: 'aud',
  OAUTH_JWKS_URL: 'https://iss/jwks',
}
const INTROSPECTION = {
  ...BASE,
  OAUTH_MODE: 'introspection',
  OAUTH_TOKEN_URL: 'https://as/token',
  OAUTH_INTROSPECTION_URL: 'https://as/introspect',
  OAUTH_CLIENT_ID: 'dp',
  OAUTH_CLIENT_KEY: PEM,
}

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('OAuth configuration', () => {
  it('jwt mode needs issuer, audience and JWKS, no client', () => {
    const config = loadConfig(JWT)
    expect(config.oauth).toMatchObject({ mode: 'jwt', client: undefined, requireAccessTokenType: true })
    expect(config.partitionService.url).toBeUndefined()
  })

  it('introspection mode needs token and introspection URLs and the client; issuer and audience optional', () => {
    const config = loadConfig(INTROSPECTION)
    expect(config.oauth).toMatchObject({
      mode: 'introspection',
      issuer: undefined,
      audience: undefined,
      jwksUrl: undefined,
      client: { id: 'dp' },
      introspectionCacheSeconds: 60,
      introspectionTimeoutMs: 3000,
    })
    expect(problemsOf({ ...BASE, OAUTH_MODE: 'introspection' })).toEqual([
      'OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required with OAUTH_MODE=introspection',
      'OAUTH_TOKEN_URL is required with OAUTH_MODE=introspection, a Partition service or e-Box Preferences',
      'OAUTH_INTROSPECTION_URL is required with OAUTH_MODE=introspection',
    ])
  })

  it('caps the introspection cache at 60 seconds', () => {
    expect(problemsOf({ ...INTROSPECTION, INTROSPECTION_CACHE_SECONDS: '61' })).toEqual([
      'INTROSPECTION_CACHE_SECONDS must be an integer from 0 to 60, got "61"',
    ])
  })

  it('reads the key from OAUTH_CLIENT_KEY_FILE, and never echoes a bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-key-'))
    writeFileSync(join(dir, 'key.pem'), PEM)
    const { OAUTH_CLIENT_KEY: _, ...withoutKey } = INTROSPECTION
    expect(
      loadConfig({ ...withoutKey, OAUTH_CLIENT_KEY_FILE: join(dir, 'key.pem') }).oauth.client?.privateKeyPem,
    ).toBe(PEM.trim())
    expect(problemsOf({ ...withoutKey, OAUTH_CLIENT_KEY_FILE: join(dir, 'absent.pem') })).toEqual([
      'OAUTH_CLIENT_KEY_FILE cannot be read: ENOENT',
    ])
    const problems = problemsOf({ ...INTROSPECTION, OAUTH_CLIENT_KEY: 'super-secret-value' })
    expect(problems).toEqual(['OAUTH_CLIENT_KEY is not a PEM private key'])
    expect(problems.join()).not.toContain('super-secret-value')
  })

  it('accepts a PEM with escaped newlines (one-line secrets)', () => {
    const oneLine = PEM.replace(/\n/g, '\\n')
    expect(loadConfig({ ...INTROSPECTION, OAUTH_CLIENT_KEY: oneLine }).oauth.client?.privateKeyPem).toContain(
      '\n',
    )
  })

  it('refuses a non-RSA client key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    })
    expect(problemsOf({ ...INTROSPECTION, OAUTH_CLIENT_KEY: ec.toString() })).toEqual([
      'OAUTH_CLIENT_KEY must be an RSA private key (RS256), got ec',
    ])
  })
})

/** What the federation's tokens must carry for this DP: required in ACC and PRD. */
const FEDERATION_TOKENS = {
  OAUTH_ISSUER: 'oauth-acpt.socialsecurity.be',
  OAUTH_AUDIENCE: 'ebox-registry-acc',
}

describe('issuer and audience in ACC/PRD (issue 23, finding 4)', () => {
  it.each(['acceptation', 'production'])(
    '%s refuses to start without them, introspection mode too',
    (environment) => {
      expect(problemsOf({ ...INTROSPECTION, EBOX_ENVIRONMENT: environment })).toEqual([
        'OAUTH_ISSUER is required',
        'OAUTH_AUDIENCE is required',
      ])
      const config = loadConfig({ ...INTROSPECTION, ...FEDERATION_TOKENS, EBOX_ENVIRONMENT: environment })
      expect(config.oauth).toMatchObject({
        issuer: FEDERATION_TOKENS.OAUTH_ISSUER,
        audience: 'ebox-registry-acc',
      })
    },
  )

  it('development keeps them optional in introspection mode', () => {
    expect(problemsOf(INTROSPECTION)).toEqual([])
  })
})

describe('environment defaults (brief §2)', () => {
  it('acceptation: the ACC OAuth v5 endpoints, Partition service and portal origin', () => {
    const config = loadConfig({
      ...INTROSPECTION,
      ...FEDERATION_TOKENS,
      EBOX_ENVIRONMENT: 'acceptation',
      OAUTH_TOKEN_URL: undefined,
      OAUTH_INTROSPECTION_URL: undefined,
    })
    expect(config.oauth.tokenUrl).toBe('https://services-acpt.socialsecurity.be/REST/oauth/v5/token')
    expect(config.oauth.introspectionUrl).toBe(
      'https://services-acpt.socialsecurity.be/REST/oauth/v5/introspect',
    )
    expect(config.partitionService.url).toBe(
      'https://services-acpt.socialsecurity.be/REST/ebox/enterprise/partition/v1',
    )
    expect(config.http.corsOrigins).toEqual(['https://wwwacc.eboxenterprise.be'])
  })

  it('production: the PRD values; every default can be overridden', () => {
    const config = loadConfig({
      ...INTROSPECTION,
      ...FEDERATION_TOKENS,
      EBOX_ENVIRONMENT: 'production',
      OAUTH_TOKEN_URL: undefined,
      OAUTH_INTROSPECTION_URL: 'https://other/introspect',
      CORS_ORIGINS: 'https://a.example,https://b.example:8443',
    })
    expect(config.oauth.tokenUrl).toBe(ENVIRONMENT_DEFAULTS.production?.oauthTokenUrl)
    expect(config.oauth.introspectionUrl).toBe('https://other/introspect')
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443'])
  })

  it('the Partition service and e-Box Preferences need the DP client, even in jwt mode', () => {
    expect(problemsOf({ ...JWT, EBOX_ENVIRONMENT: 'production' })).toEqual([
      'OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required to call the Partition service',
      'OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required to call e-Box Preferences',
    ])
  })

  it('development has no federation defaults and no CORS origin', () => {
    const config = loadConfig(JWT)
    expect(config.http.corsOrigins).toEqual([])
    expect(config.oauth.tokenUrl).toBeUndefined()
  })

  it.each(['*', 'https://a.example/path', 'wwwacc.eboxenterprise.be'])('refuses CORS origin %s', (origin) => {
    expect(problemsOf({ ...JWT, CORS_ORIGINS: origin })).toEqual([
      `CORS_ORIGINS must list origins like https://host[:port], got "${origin}"`,
    ])
  })
})

describe('the federation URLs live in one module', () => {
  it('no other source file names a socialsecurity.be host', () => {
    const hits = execFileSync('grep', ['-rl', 'socialsecurity.be', 'src'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
    expect(hits).toEqual(['src/environment-defaults.ts'])
  })
})
