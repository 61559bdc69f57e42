/**
 * The e-Box Event Service v2 (federation-duties §2.3): `POST` of a JSON array of events with the DP's Bearer
 * token. 2xx = accepted; 409 = idempotency violation, i.e. (some of) these events were accepted before.
 */
export type EesPostResult =
  | { outcome: 'accepted'; status: number }
  | { outcome: 'duplicate'; status: 409 }
  | { outcome: 'failed'; status: number | undefined; error: string }

export interface EesClient {
  post(events: readonly unknown[]): Promise<EesPostResult>
}

/** Where the token comes from: `createClientCredentialsSource` (src/auth/client-credentials.ts) in production. */
export interface TokenSource {
  token(signal?: AbortSignal): Promise<string>
  invalidate(): void
}

export interface EesClientOptions {
  url: string
  /** Bound on one POST, token included: a hanging EES costs a batch one timeout, never a stuck worker. */
  timeoutMs: number
  tokens: TokenSource
}

export function createEesClient(options: EesClientOptions): EesClient {
  return {
    async post(events) {
      const signal = AbortSignal.timeout(options.timeoutMs)
      let token: string
      try {
        token = await options.tokens.token(signal)
      } catch (error) {
        return { outcome: 'failed', status: undefined, error: `no access token: ${messageOf(error)}` }
      }
      let response: Response
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(events),
          signal,
        })
      } catch (error) {
        const timedOut = signal.aborted
        return {
          outcome: 'failed',
          status: undefined,
          error: timedOut ? `no answer within ${options.timeoutMs} ms` : `unreachable: ${messageOf(error)}`,
        }
      }
      // Read the body in every case so that the connection is released; keep a short excerpt for the log.
      const text = await response.text().catch(() => '')
      if (response.ok) return { outcome: 'accepted', status: response.status }
      if (response.status === 409) return { outcome: 'duplicate', status: 409 }
      if (response.status === 401) options.tokens.invalidate()
      return {
        outcome: 'failed',
        status: response.status,
        error: `EES answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      }
    },
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}
