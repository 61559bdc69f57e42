import { randomBytes } from 'node:crypto'
import type { Message } from '@ebox/contract'
import { allMessages, MESSAGES_PATH, referenceItem, walkMessages } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'
import { normaliseForSearch } from '../validate.ts'

type Language = 'nl' | 'fr' | 'de'
const LANGUAGES: readonly Language[] = ['fr', 'nl', 'de']

function text(value: unknown, lang: Language): string | undefined {
  const result = (value as Record<string, unknown> | undefined)?.[lang]
  return typeof result === 'string' ? result : undefined
}

/**
 * The texts §5.1 searches for a message in one language: subject, business data values, forTheAttentionOf,
 * and the names and descriptions of its message type, sender application and sender organization.
 */
async function searchableTexts(ctx: CheckContext, message: Message, lang: Language): Promise<string[]> {
  const texts = [text(message.subject, lang)]
  for (const data of message.businessDataList?.items ?? []) {
    for (const value of data.values ?? []) texts.push(text(value, lang))
  }
  texts.push(message.forTheAttentionOf?.label, message.forTheAttentionOf?.ssin)
  const type = await referenceItem(ctx, 'messageTypes', message.messageTypeId)
  const application = await referenceItem(ctx, 'senderApplications', message.senderApplicationId)
  const organization = await referenceItem(ctx, 'senderOrganizations', message.senderOrganizationId)
  texts.push(
    text(type?.messageTypeName, lang),
    text(type?.messageTypeDescription, lang),
    text(application?.applicationName, lang),
    text(application?.applicationDescription, lang),
    text(organization?.organizationShortName, lang),
    text(organization?.organizationLongName, lang),
  )
  return texts.filter((value): value is string => typeof value === 'string' && value.length > 0)
}

async function search(ctx: CheckContext, q: string, qlang: Language) {
  return walkMessages(ctx, 'consultation', { q, qlang }, { limit: Math.min(ctx.limits.maxMessages, 300) })
}

/** A substring of `value` of at most `max` characters from its middle, not starting or ending with a space. */
export function middleSubstring(value: string, max = 14): string | undefined {
  const chars = [...value]
  if (chars.length < 4) return undefined
  let start = Math.floor(chars.length / 4)
  let end = Math.min(chars.length, start + max)
  while (start < end && /\s/.test(chars[start]!)) start++
  while (end > start && /\s/.test(chars[end - 1]!)) end--
  const result = chars.slice(start, end).join('')
  return [...result].length >= 3 ? result : undefined
}

/** Another spelling of a search term that §5.1 says must match the same: accents stripped, case swapped. */
export function otherSpelling(term: string): string {
  // Only letters whose upper case is one letter that lower-cases back (not ß → SS, not dotted I).
  const swap = (char: string) => {
    const upper = char.toUpperCase()
    return upper.length === 1 && upper.toLowerCase() === char ? upper : char
  }
  return [...normaliseForSearch(term)].map((char, index) => (index % 2 === 0 ? swap(char) : char)).join('')
}

/** Messages with a subject in some language worth searching, those with accents or capitals first. */
function candidates(items: Message[]): Array<{ message: Message; lang: Language; subject: string }> {
  const found: Array<{ message: Message; lang: Language; subject: string; score: number }> = []
  for (const message of items) {
    for (const lang of LANGUAGES) {
      const subject = text(message.subject, lang)
      if (!subject || subject.trim().length < 6) continue
      const score = (subject !== normaliseForSearch(subject) ? 2 : 0) + (/\s/.test(subject.trim()) ? 1 : 0)
      found.push({ message, lang, subject, score })
      break
    }
  }
  return found.sort((a, b) => b.score - a.score)
}

async function expectFound(ctx: CheckContext, q: string, lang: Language, message: Message, why: string) {
  const result = await search(ctx, q, lang)
  if (!result.items.some((item) => item.messageId === message.messageId) && result.complete) {
    ctx.fail(`q="${q}" qlang=${lang} does not find message ${message.messageId} (${why})`, result.pages[0], {
      note: `expected messageId ${message.messageId} among the results`,
    })
  }
  // Every result must contain the term somewhere §5.1 searches (q must not be ignored).
  const needle = normaliseForSearch(q)
  for (const [index, item] of result.items.slice(0, 20).entries()) {
    const texts = await searchableTexts(ctx, item, lang)
    if (!texts.some((value) => normaliseForSearch(value).includes(needle))) {
      ctx.fail(
        `q="${q}" qlang=${lang} lists message ${item.messageId}, whose searched texts do not contain "${q}"`,
        result.pages[0],
        { pointer: `/items/${index}` },
      )
    }
  }
}

export const searchChecks = [
  defineCheck({
    id: 'search.qlang-required',
    title: 'q without qlang answers 400 with a StatusMessage',
    rule: '§5.1 (400 when q is given without qlang); §7.6',
    async run(ctx: CheckContext) {
      ctx.expectStatusMessage(
        await ctx.get('consultation', MESSAGES_PATH, { q: 'test' }),
        400,
        'q without qlang',
      )
    },
  }),
  defineCheck({
    id: 'search.qlang-unknown',
    title: 'A qlang outside fr, nl, de answers 400',
    rule: '§5.1 (qlang enum fr/nl/de; unknown values are syntactically wrong [I])',
    mandatory: false,
    async run(ctx: CheckContext) {
      ctx.expectStatusMessage(
        await ctx.get('consultation', MESSAGES_PATH, { q: 'test', qlang: 'en' }),
        400,
        'qlang=en',
      )
    },
  }),
  defineCheck({
    id: 'search.unmatched',
    title: 'A term found nowhere answers 200 with an empty list',
    rule: '§5.1 (no match → 200 with an empty list); §7.6',
    async run(ctx: CheckContext) {
      const q = `zqx${randomBytes(4).toString('hex')}`
      const result = await search(ctx, q, 'fr')
      ctx.assert(
        result.totalItems === 0 && result.items.length === 0,
        `q="${q}" matches ${result.totalItems} message(s)`,
        result.pages[0],
      )
    },
  }),
  defineCheck({
    id: 'search.substring',
    title: 'q finds a substring of a subject whatever its case and accents (and only messages containing it)',
    rule: '§5.1 text search (substring, case- and accent-insensitive, on the qlang variant)',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const candidate = candidates(items)[0]
      if (!candidate) ctx.skip('no message with a subject of six characters or more to search for')
      const term = middleSubstring(candidate.subject)!
      await expectFound(
        ctx,
        term,
        candidate.lang,
        candidate.message,
        `its subject "${candidate.subject}" contains it`,
      )
      const spelled = otherSpelling(term)
      await expectFound(
        ctx,
        spelled,
        candidate.lang,
        candidate.message,
        `its subject "${candidate.subject}" contains "${term}"`,
      )
    },
  }),
  defineCheck({
    id: 'search.known-data',
    title:
      'Known searches of the data set find exactly the messages they must (every searched field, no wildcards)',
    rule: '§5.1 text search (worked examples: found for some, me rando, Francois, epinards, SOME RAND; not for ok?This is)',
    profiles: ['certification'],
    async run(ctx: CheckContext) {
      const searches = ctx.expectations?.searches ?? []
      if (searches.length === 0) ctx.skip('the data set gives no known search')
      for (const known of searches) {
        const result = await search(ctx, known.q, known.qlang)
        const label = `q="${known.q}" qlang=${known.qlang} (${known.why})`
        const got = new Set(result.items.map((message) => message.messageId))
        if (known.exactly) {
          const missing = known.exactly.filter((id) => !got.has(id))
          const extra = [...got].filter((id) => !known.exactly!.includes(id))
          ctx.assert(
            missing.length === 0 && extra.length === 0,
            `${label}: ${missing.length > 0 ? `does not find ${missing.join(', ')}` : ''}${missing.length > 0 && extra.length > 0 ? '; ' : ''}${extra.length > 0 ? `also finds ${extra.join(', ')}` : ''}`,
            result.pages[0],
          )
        }
        const missing = (known.includes ?? []).filter((id) => !got.has(id))
        ctx.assert(missing.length === 0, `${label}: does not find ${missing.join(', ')}`, result.pages[0])
        const unwanted = (known.excludes ?? []).filter((id) => got.has(id))
        ctx.assert(unwanted.length === 0, `${label}: finds ${unwanted.join(', ')}`, result.pages[0])
      }
    },
  }),
  defineCheck({
    id: 'search.word-order',
    title: 'q is a substring, not a set of words: words in another order do not match',
    rule: '§5.1 text search ("This some random" and "ok?This is" are not found: no word reordering, no token matching)',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      for (const { message, lang, subject } of candidates(items)) {
        const words = subject.split(/\s+/).filter((word) => /\p{L}{2}/u.test(word))
        for (let index = 1; index < words.length; index++) {
          const reordered = `${words[index]} ${words[index - 1]}`
          const needle = normaliseForSearch(reordered)
          const texts = await searchableTexts(ctx, message, lang)
          if (texts.some((value) => normaliseForSearch(value).includes(needle))) continue
          const result = await search(ctx, reordered, lang)
          ctx.assert(
            !result.items.some((item) => item.messageId === message.messageId),
            `q="${reordered}" qlang=${lang} finds message ${message.messageId} whose subject is "${subject}": words reordered must not match`,
            result.pages[0],
          )
          return
        }
      }
      ctx.skip('no subject with two words to reorder')
    },
  }),
  defineCheck({
    id: 'search.fields',
    title: 'q also searches business data values and the names of the message type and sender organization',
    rule: '§5.1 text search (fields searched: subject, business data, forTheAttentionOf, sender application/organization and message type names)',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      let tried = 0
      for (const message of items.slice(0, 10)) {
        const lang: Language = 'fr'
        const type = await referenceItem(ctx, 'messageTypes', message.messageTypeId)
        const organization = await referenceItem(ctx, 'senderOrganizations', message.senderOrganizationId)
        const businessValue = message.businessDataList?.items?.[0]?.values?.[0]
        for (const [field, value] of [
          ['business data value', text(businessValue, lang)],
          ['message type name', text(type?.messageTypeName, lang)],
          ['sender organization name', text(organization?.organizationShortName, lang)],
        ] as const) {
          const term = value ? middleSubstring(value, 10) : undefined
          if (!term) continue
          await expectFound(ctx, term, lang, message, `its ${field} "${value}" contains it`)
          tried++
        }
        if (tried >= 3) return
      }
      if (tried === 0) ctx.skip('no message with business data or readable reference data to search for')
    },
  }),
]
