/** A response of the real service, captured to be served again by the framework ceiling. */
export interface CapturedResponse {
  method: 'GET' | 'POST'
  /** Path and query, exactly as requested. */
  url: string
  /** The request carried If-None-Match. */
  conditional: boolean
  status: number
  headers: Record<string, string>
  /** Parsed JSON body; undefined when there is none (304). */
  body: unknown
  /** Name of the response schema exported by @ebox/contract that the service's route declares. */
  schema: string | undefined
  /** A multipart upload: the ceiling reads and discards the parts first, as the service stores them. */
  multipart: boolean
}
