import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dataset } from '@ebox/bench'

/** One HTTP exchange as the client saw it: `timeout` = no answer within the bound, `network` = no answer at all. */
export interface Sample {
  /** `probe`: a scenario's own request beside the mixed load (e.g. a list with a token never seen before). */
  op: 'publish' | 'replay' | 'list' | 'detail' | 'download' | 'probe' | 'human-list' | 'human-detail'
  status: number | 'timeout' | 'network'
  ms: number
  /** Milliseconds since the run's origin, when the request started. */
  at: number
  retryAfter: boolean
  /** A human user's detail read of a message outside their partitions (must never answer 200). */
  outside?: boolean
}

/** A publication the load sent: what the client knows about it. */
export interface Publication {
  key: string
  sha256: string
  size: number
  /** Every answer to this key, retries and replays included. */
  answers: Sample['status'][]
  /** message ids of the 201 answers (one, if the service is right). */
  messageIds: Set<string>
}

export interface Target {
  /** The registry's base URL; the same port across restarts. */
  url: string
  tokens: { publisher: string; consumer: string; human: string }
  dataset: Dataset
  /** The portal user the human readers act as (tokens.human): an enterprise e-Box with partitions. */
  human: HumanUser
}

/** A person using an enterprise e-Box: sees only the partitions the Partition service grants. */
export interface HumanUser {
  ebox: string
  ssin: string
  partitions: readonly string[]
  /** Messages of the e-Box inside and outside those partitions: the human readers ask for the details of both. */
  inside: readonly string[]
  outside: readonly string[]
}

/** Upper bound of one request before the client calls it hung (publications carry files). */
export const BOUNDS_MS = { read: 15_000, publish: 45_000 }
const BOUNDARY = '----ebox-chaos-3f9c2a'

export class Recorder {
  readonly samples: Sample[] = []
  readonly publications: Publication[] = []
  /** Every message id a human user was shown (list items, details answered 200). */
  readonly humanSeen = new Set<string>()
  readonly origin = Date.now()
  now = () => Date.now() - this.origin

  async exchange(
    op: Sample['op'],
    url: string,
    init: RequestInit,
    boundMs: number,
    read?: (response: Response) => Promise<void>,
  ): Promise<{ sample: Sample; response?: Response }> {
    const at = this.now()
    const started = performance.now()
    let sample: Sample
    let response: Response | undefined
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(boundMs) })
      if (read) await read(response)
      else await response.arrayBuffer()
      sample = {
        op,
        status: response.status,
        ms: performance.now() - started,
        at,
        retryAfter: response.headers.has('retry-after'),
      }
    } catch (error) {
      const name = (error as Error).name
      sample = {
        op,
        status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network',
        ms: performance.now() - started,
        at,
        retryAfter: false,
      }
      response = undefined
    }
    this.samples.push(sample)
    return { sample, response }
  }
}

/** Incompressible content of `size` bytes and its multipart publication body. */
export function publicationBody(dataset: Dataset, content: Buffer): Buffer {
  const message = {
    sender: { eboxType: 'enterprise', enterpriseNumber: dataset.publicationSenderOrganizationId },
    recipient: { eboxType: 'enterprise', enterpriseNumber: dataset.publicationEbox },
    subject: { fr: 'Avis — chaos', nl: 'Bericht — chaos', de: 'Anzeige — chaos' },
    messageTypeId: dataset.publicationMessageTypeId,
    senderApplicationId: dataset.publicationApplicationId,
    attachments: [{ httpPartName: 'file1', isMainContent: true }],
  }
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="messageToPublish"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(message)}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file1"; filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ])
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`

/** Seconds of a 503's Retry-After as a client honours it, capped so that a run stays short. */
function retryDelayMs(response: Response | undefined): number {
  const seconds = Number(response?.headers.get('retry-after'))
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 2) * 1000 : 500
}

/**
 * Publishes `content` under a new Idempotency-Key as a careful client does: on 503 it waits Retry-After, on no
 * answer it retries the same key, until an answer that is final (2xx, 4xx) or `giveUpAt`. `body` may be a
 * function (a slow upload as a stream).
 */
export async function publish(
  recorder: Recorder,
  target: Target,
  content: Buffer,
  options: { giveUpAt: number; body?: () => NonNullable<RequestInit['body']>; replay?: boolean },
): Promise<Publication> {
  const publication: Publication = {
    key: randomUUID(),
    sha256: createHash('sha256').update(content).digest('hex'),
    size: content.length,
    answers: [],
    messageIds: new Set(),
  }
  recorder.publications.push(publication)
  const fixed = options.body ? undefined : publicationBody(target.dataset, content)
  const send = async (op: 'publish' | 'replay') => {
    const { sample, response } = await recorder.exchange(
      op,
      `${target.url}/ebox/messages`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${target.tokens.publisher}`,
          'content-type': MULTIPART_TYPE,
          'idempotency-key': `"${publication.key}"`,
        },
        body: fixed ?? options.body!(),
        ...(fixed ? {} : { duplex: 'half' }),
      } as RequestInit,
      BOUNDS_MS.publish,
      async (answer) => {
        const text = await answer.text()
        if (answer.status === 201) publication.messageIds.add(JSON.parse(text).messageId)
      },
    )
    publication.answers.push(sample.status)
    return { sample, response }
  }
  while (true) {
    const { sample, response } = await send('publish')
    if (typeof sample.status === 'number' && sample.status !== 503 && sample.status < 500) break
    if (Date.now() >= options.giveUpAt) break
    await sleep(retryDelayMs(response))
  }
  // A client that did not hear the 201 (or repeats itself) sends the same key again: 201 or 409, one message.
  if (options.replay && publication.messageIds.size > 0) await send('replay')
  return publication
}

/** Random bytes: a PDF compresses no better. */
export function randomContent(size: number): Buffer {
  return randomBytes(size)
}

/**
 * The mixed load until `signal` aborts: `publishers` loops publishing 16 KiB letters (every 10th 1 MiB, every 5th
 * replayed), `readers` loops listing, reading a detail and downloading a published letter.
 */
export async function runMixedLoad(
  recorder: Recorder,
  target: Target,
  options: {
    publishers: number
    readers: number
    /** Portal users listing and reading details (target.human). */
    humans?: number
    signal: AbortSignal
    paceMs?: number
    recoveryMs: number
  },
): Promise<void> {
  const pace = () => sleep(options.paceMs ?? 20)
  let counter = 0
  const publisher = async () => {
    while (!options.signal.aborted) {
      const n = counter++
      await publish(recorder, target, randomContent(n % 10 === 9 ? 1024 * 1024 : 16 * 1024), {
        giveUpAt: Date.now() + options.recoveryMs,
        replay: n % 5 === 4,
      })
      await pace()
    }
  }
  const reader = async () => {
    for (let n = 0; !options.signal.aborted; n++) {
      // Read each time: a scenario may hand out new tokens (a rotated signing key).
      const auth = { authorization: `Bearer ${target.tokens.consumer}` }
      const published = recorder.publications.flatMap((p) => [...p.messageIds])
      const pick = published[Math.floor(Math.random() * published.length)]
      if (n % 3 === 0 || !pick) {
        await recorder.exchange(
          'list',
          `${target.url}/ebox/messages?page=1&pageSize=25`,
          { headers: auth },
          BOUNDS_MS.read,
        )
      } else if (n % 3 === 1) {
        await recorder.exchange(
          'detail',
          `${target.url}/ebox/messages/${pick}`,
          { headers: auth },
          BOUNDS_MS.read,
        )
      } else {
        await recorder.exchange(
          'download',
          `${target.url}/ebox/messages/${pick}/attachments/1/content`,
          { headers: auth },
          BOUNDS_MS.read,
        )
      }
      await pace()
    }
  }
  await Promise.all([
    ...Array.from({ length: options.publishers }, publisher),
    ...Array.from({ length: options.readers }, reader),
    ...Array.from({ length: options.humans ?? 0 }, () => humanReader(recorder, target, options.signal, pace)),
  ])
}

/** Reads a human user's answer (a list or a detail) and records every message id it shows. */
export function rememberShown(recorder: Recorder) {
  return async (response: Response) => {
    if (response.status !== 200) return void (await response.arrayBuffer())
    const body = (await response.json()) as { messageId?: string; items?: { messageId: string }[] }
    for (const id of body.items?.map((item) => item.messageId) ?? [body.messageId])
      if (id) recorder.humanSeen.add(id)
  }
}

/**
 * A portal user: list page 1 of their enterprise's e-Box, then the detail of a message inside their partitions or
 * of one outside them (which must answer 404, never 200). Every id shown is recorded for the partition invariant.
 */
async function humanReader(
  recorder: Recorder,
  target: Target,
  signal: AbortSignal,
  pace: () => Promise<unknown>,
) {
  const { inside, outside } = target.human
  const remember = rememberShown(recorder)
  for (let n = 0; !signal.aborted; n++) {
    const auth = { authorization: `Bearer ${target.tokens.human}` }
    const outsideRead = n % 4 === 3
    const ids = outsideRead ? outside : inside
    const pick = ids[Math.floor(Math.random() * ids.length)]
    if (n % 2 === 0 || !pick)
      await recorder.exchange(
        'human-list',
        `${target.url}/ebox/messages?page=1&pageSize=25`,
        { headers: auth },
        BOUNDS_MS.read,
        remember,
      )
    else {
      const { sample } = await recorder.exchange(
        'human-detail',
        `${target.url}/ebox/messages/${pick}`,
        { headers: auth },
        BOUNDS_MS.read,
        remember,
      )
      sample.outside = outsideRead
    }
    await pace()
  }
}
