import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { assertNotProduction } from './errors.ts'
import { OAuthError, readJson, sendJson } from './http.ts'
import type { IntrospectionResponse } from './types.ts'

/**
 * A stand-in for the federation's e-Box Preferences web services (federation-duties §3.2) beside the OAuth
 * stand-in, for development and tests: `POST {eboxPreferences search}` (an entry per registered enterprise e-Box),
 * `POST {citizen consents search}` (an entry per consenting citizen, same body and answer: our assumption) and
 * `GET {enterprise status}` (`{ status: "active" | "stopped" }`, 404 for an enterprise the CBE would not know).
 * Paths and scopes default to the federation profile's defaults (@ebox/contract federation-profile.ts; a test
 * checks they agree); pass the profile's values to follow an override. Every call needs a bearer token the
 * issuer says is active and carries the endpoint's scope. Refuses NODE_ENV=production.
 */
export interface EboxPreferencesStandInOptions {
  /** The issuer's introspection of a bearer token (TokenIssuer.introspect). */
  introspect: (token: string) => IntrospectionResponse
  paths?: Partial<EboxPreferencesPaths>
  scopes?: Partial<EboxPreferencesScopes>
  /** Enterprise e-Boxes that exist from the start. */
  enterprises?: readonly string[]
  /** Citizens who accepted the e-Box terms from the start. */
  citizens?: readonly string[]
  /** Enterprises the CBE lists as stopped from the start (every other one is active). */
  stopped?: readonly string[]
  host?: string
  port?: number
}

export interface EboxPreferencesPaths {
  eboxPreferencesSearch: string
  citizenConsentsSearch: string
  /** With `{enterpriseNumber}`. */
  enterpriseStatus: string
}

export interface EboxPreferencesScopes {
  eboxPreferences: string
  citizenConsents: string
  enterpriseStatus: string
}

/** What the CBE says of an enterprise: every enterprise is active unless told otherwise. */
export type CompanyStatus = 'active' | 'stopped' | 'unknown'

export interface EboxPreferencesStandIn {
  readonly url: string
  /** The enterprise's or citizen's e-Box exists (`true`) or not. */
  setEnterpriseEbox(enterpriseNumber: string, exists: boolean): void
  setCitizenConsent(ssin: string, consented: boolean): void
  setCompanyStatus(enterpriseNumber: string, status: CompanyStatus): void
  /** `down`: connections are destroyed; `error`: 500 to everything. */
  setBehaviour(behaviour: 'normal' | 'down' | 'error'): void
  /** Requests received (method and path), oldest first. */
  readonly requests: string[]
  close(): Promise<void>
}

const PREFERENCE_SCOPE = 'scope:documentmanagement:ebox:enterprise:federation-rest:preference'

export const EBOX_PREFERENCES_DEFAULT_PATHS: EboxPreferencesPaths = {
  eboxPreferencesSearch: '/eboxPreferences/search',
  citizenConsentsSearch: '/citizenEboxConsents/search',
  enterpriseStatus: '/enterprises/{enterpriseNumber}',
}

export const EBOX_PREFERENCES_DEFAULT_SCOPES: EboxPreferencesScopes = {
  eboxPreferences: PREFERENCE_SCOPE,
  citizenConsents: PREFERENCE_SCOPE,
  enterpriseStatus: PREFERENCE_SCOPE,
}

export async function startEboxPreferencesStandIn(
  options: EboxPreferencesStandInOptions,
): Promise<EboxPreferencesStandIn> {
  assertNotProduction()
  const paths = { ...EBOX_PREFERENCES_DEFAULT_PATHS, ...options.paths }
  const scopes = { ...EBOX_PREFERENCES_DEFAULT_SCOPES, ...options.scopes }
  const enterprises = new Set(options.enterprises ?? [])
  const citizens = new Set(options.citizens ?? [])
  const companies = new Map<string, CompanyStatus>((options.stopped ?? []).map((cbe) => [cbe, 'stopped']))
  const requests: string[] = []
  let behaviour: 'normal' | 'down' | 'error' = 'normal'
  const [statusBefore, statusAfter] = paths.enterpriseStatus.split('{enterpriseNumber}') as [string, string]

  function authorise(req: IncomingMessage, scope: string) {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const answer = token ? options.introspect(token) : undefined
    if (!answer?.active) throw new OAuthError(401, 'invalid_token', 'no active bearer token')
    if (
      !String(answer.scope ?? '')
        .split(' ')
        .includes(scope)
    )
      throw new OAuthError(403, 'insufficient_scope', `needs ${scope}`)
  }

  /** The answer to a search: one entry per id of the request that `known` holds. */
  async function search(req: IncomingMessage, eboxType: string, known: Set<string>) {
    const body = (await readJson(req)) as { eboxType?: unknown; eboxIdValueList?: unknown }
    const ids = body.eboxIdValueList
    if (body.eboxType !== eboxType || !Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw new OAuthError(400, 'invalid_request', `expected { eboxType: "${eboxType}", eboxIdValueList }`)
    }
    return ids
      .filter((id) => known.has(id))
      .map((id) => ({ eboxId: { eboxType, eboxIdValue: id }, exclusivelyEbox: false }))
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string) {
    if (req.method === 'POST' && path === paths.eboxPreferencesSearch) {
      authorise(req, scopes.eboxPreferences)
      return sendJson(res, 200, await search(req, 'ENTERPRISE', enterprises))
    }
    if (req.method === 'POST' && path === paths.citizenConsentsSearch) {
      authorise(req, scopes.citizenConsents)
      return sendJson(res, 200, await search(req, 'CITIZEN', citizens))
    }
    if (req.method === 'GET' && path.startsWith(statusBefore) && path.endsWith(statusAfter)) {
      const enterpriseNumber = decodeURIComponent(
        path.slice(statusBefore.length, path.length - statusAfter.length),
      )
      if (/^\d{10}$/.test(enterpriseNumber)) {
        authorise(req, scopes.enterpriseStatus)
        const status = companies.get(enterpriseNumber) ?? 'active'
        if (status === 'unknown') return sendJson(res, 404, { error: 'not_found' })
        return sendJson(res, 200, { enterpriseNumber, status })
      }
    }
    return sendJson(res, 404, { error: 'not_found' })
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname
    requests.push(`${req.method} ${path}`)
    if (behaviour === 'down') {
      req.socket.destroy()
      return
    }
    if (behaviour === 'error') return sendJson(res, 500, { error: 'server_error' })
    route(req, res, path).catch((error: unknown) => {
      if (error instanceof OAuthError)
        return sendJson(res, error.status, { error: error.error, error_description: error.description })
      sendJson(res, 500, { error: 'server_error' })
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve))
  const { address, port } = server.address() as AddressInfo
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    requests,
    setEnterpriseEbox: (enterpriseNumber, exists) =>
      exists ? enterprises.add(enterpriseNumber) : enterprises.delete(enterpriseNumber),
    setCitizenConsent: (ssin, consented) => (consented ? citizens.add(ssin) : citizens.delete(ssin)),
    setCompanyStatus: (enterpriseNumber, status) => companies.set(enterpriseNumber, status),
    setBehaviour: (next) => {
      behaviour = next
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
