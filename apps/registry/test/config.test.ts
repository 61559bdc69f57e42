import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'

const VALID = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  OAUTH_ISSUER: 'https://issuer.example',
  OAUTH_AUDIENCE: 'registry',
  OAUTH_JWKS_URL: 'https://issuer.example/jwks',
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

describe('configuration', () => {
  it('accepts a complete environment and applies defaults', () => {
    const config = loadConfig(VALID)
    expect(config.port).toBe(8080)
    expect(config.host).toBe('127.0.0.1')
    expect(config.environment).toBe('development')
    expect(config.oauth.mode).toBe('jwt')
    expect(config.oauth.algorithms).toEqual(['RS256', 'PS256', 'ES256'])
  })

  it.each([
    ['DATABASE_URL', 'DATABASE_URL is required'],
    ['OAUTH_ISSUER', 'OAUTH_ISSUER is required'],
    ['OAUTH_AUDIENCE', 'OAUTH_AUDIENCE is required'],
    ['OAUTH_JWKS_URL', 'OAUTH_JWKS_URL is required'],
  ])('names a missing %s', (name, message) => {
    expect(problemsOf({ ...VALID, [name]: undefined })).toEqual([message])
  })

  it.each([
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres: or postgresql: URL, got "mysql:"'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL must be a URL, got "not a url"'],
    ['OAUTH_JWKS_URL', 'ftp://x/jwks', 'OAUTH_JWKS_URL must be a http: or https: URL, got "ftp:"'],
    ['PORT', '70000', 'PORT must be an integer from 0 to 65535, got "70000"'],
    ['PORT', 'eighty', 'PORT must be an integer from 0 to 65535, got "eighty"'],
    ['OAUTH_MODE', 'saml', 'OAUTH_MODE must be one of jwt, introspection, got "saml"'],
    [
      'EBOX_ENVIRONMENT',
      'prod',
      'EBOX_ENVIRONMENT must be one of development, test, integration, acceptation, simulation, production, got "prod"',
    ],
    [
      'LOG_LEVEL',
      'loud',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      'DB_STATEMENT_TIMEOUT_MS',
      '5',
      'DB_STATEMENT_TIMEOUT_MS must be an integer from 100 to 600000, got "5"',
    ],
    [
      'HTTP_REQUEST_TIMEOUT_MS',
      '500',
      'HTTP_REQUEST_TIMEOUT_MS must be an integer from 10000 to 3600000, got "500"',
    ],
    [
      'OAUTH_ALGORITHMS',
      'RS256,HS256',
      'OAUTH_ALGORITHMS may only name asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA), got "HS256"',
    ],
  ])('names an invalid %s=%s', (name, value, message) => {
    expect(problemsOf({ ...VALID, [name]: value })).toEqual([message])
  })

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x' })).toHaveLength(5)
  })
})
