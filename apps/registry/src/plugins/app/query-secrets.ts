import { RegistryError } from '@ebox/contract'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Secrets that must never travel or be logged in a URL (issue 23, finding 8): bearer tokens (RFC 6750 §2.3, which
 * this service does not support) and OAuth authorisation codes. Names compared in lower case.
 */
const SECRET_PARAMETERS = new Set(['access_token', 'token', 'code'])
/** Of those, the ones that carry a credential to this service: refused with 400 rather than ignored. */
const REFUSED_PARAMETERS = new Set(['access_token', 'token'])

function parameterName(pair: string): string {
  const name = pair.split('=', 1)[0] ?? ''
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase()
  } catch {
    return name.toLowerCase()
  }
}

/** The URL with the value of every secret parameter replaced: what the access log writes. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?')
  if (start < 0) return url
  const pairs = url.slice(start + 1).split('&')
  let changed = false
  for (let i = 0; i < pairs.length; i += 1) {
    const pair = pairs[i] ?? ''
    if (SECRET_PARAMETERS.has(parameterName(pair))) {
      pairs[i] = `${pair.split('=', 1)[0]}=[REDACTED]`
      changed = true
    }
  }
  return changed ? `${url.slice(0, start + 1)}${pairs.join('&')}` : url
}

/** onRequest: a credential in the query string is refused with 400 before anything reads it. */
export async function refuseTokensInQuery(request: FastifyRequest): Promise<void> {
  const start = request.url.indexOf('?')
  if (start < 0) return
  for (const pair of request.url.slice(start + 1).split('&')) {
    if (REFUSED_PARAMETERS.has(parameterName(pair))) {
      throw new RegistryError(
        'INVALID_INPUT',
        'Access tokens are accepted only in the Authorization header, never in the URL.',
      )
    }
  }
}

/** The request as the access log shows it: Fastify's fields, with secret query parameters redacted. */
export function accessLogRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/** Refuses a credential in the query string (refuseTokensInQuery) for every route, public ones and 404s included. */
export default fp(
  async function querySecrets(app: FastifyInstance) {
    app.addHook('onRequest', refuseTokensInQuery)
  },
  { name: 'query-secrets' },
)
