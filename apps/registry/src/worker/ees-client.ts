import { type FederationClient, FederationUnavailableError } from '../federation/client.ts'

/**
 * The e-Box Event Service v2 (federation-duties §2.3): `POST` of a JSON array of events with the DP's Bearer
 * token. 2xx = accepted; 409 = idempotency violation, i.e. (some of) these events were accepted before.
 */
export type EesPostResult =
  | { outcome: 'accepted'; status: number }
  | { outcome: 'duplicate'; status: 409 }
  | { outcome: 'failed'; status: number | undefined; error: string; retryAfterMs?: number }

export interface EesClient {
  post(events: readonly unknown[]): Promise<EesPostResult>
}

export interface EesClientOptions {
  url: string
  /** Bound on one POST, token included: a hanging EES costs a batch one timeout, never a stuck worker. */
  timeoutMs: number
  /** Scope of the DP's token to EES; undefined = the client's default scopes. */
  scope: string | undefined
  federation: FederationClient
}

const handled = (status: number) => (status >= 200 && status < 300) || status === 409

export function createEesClient(options: EesClientOptions): EesClient {
  return {
    async post(events) {
      try {
        const { status } = await options.federation.call({
          target: 'EES',
          url: options.url,
          method: 'POST',
          json: events,
          scope: options.scope,
          timeoutMs: options.timeoutMs,
          accept: handled,
        })
        return status === 409 ? { outcome: 'duplicate', status } : { outcome: 'accepted', status }
      } catch (error) {
        // The batch goes back to the outbox with this reason; delivery retries it with backoff, or later
        // when EES said when (429/503 with Retry-After).
        if (!(error instanceof FederationUnavailableError)) throw error
        return {
          outcome: 'failed',
          status: error.targetStatus,
          error: error.reason,
          retryAfterMs: error.targetRetryAfterMs,
        }
      }
    },
  }
}
