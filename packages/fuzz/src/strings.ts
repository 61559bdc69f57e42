import fc from 'fast-check'

/**
 * Hostile text: every Unicode plane (lone surrogates included), every C0/C1 control byte, bidi and zero-width
 * characters, path tricks, injection classics, and lengths from empty to far past every documented maximum.
 */
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .map((code) => (code >= 0xd800 && code <= 0xdfff ? String.fromCharCode(code) : String.fromCodePoint(code)))

/** One code point from each plane 0–16, so that no plane is left to chance. */
const planeSample = fc
  .tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff }))
  .map(([plane, offset]) => {
    const code = plane * 0x10000 + offset
    return code >= 0xd800 && code <= 0xdfff ? String.fromCharCode(code) : String.fromCodePoint(code)
  })

const controlByte = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0x9f }))
  .map((code) => String.fromCharCode(code))

const loneSurrogate = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdbff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xdc00, max: 0xdfff }).map((code) => String.fromCharCode(code)),
)

const SPECIALS = [
  '',
  ' ',
  '\u0000',
  '%00',
  '..',
  '../..',
  '%2F',
  '%2e%2e',
  '/',
  '\\',
  "'",
  '"',
  "' OR '1'='1",
  '; DROP TABLE messages; --',
  '%',
  '%%',
  '%zz',
  '+',
  '&',
  '=',
  '#',
  '?',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the log4shell probe, literally
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\u{10ffff}',
  '\u{1f4a9}',
  'ǅ',
  'İ',
  'ß',
  'NaN',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '0000-01-01',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999+14:00',
  '10000-01-01',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2024-02-30',
  '2024-13-01',
  '2024-01-01T24:00:00Z',
  '0406798006',
  '0206731645',
  '79072300048',
]

/** Lengths around the documented maxima (100, 200, 255, 400, 600, 1024 …) and far beyond. */
const LONG_LENGTHS = [99, 100, 101, 199, 200, 201, 255, 256, 401, 600, 601, 1024, 1025, 4097, 20_000, 70_000]

const longString = fc
  .tuple(fc.constantFrom(...LONG_LENGTHS), fc.constantFrom('a', '0', 'é', '\u{1f4a9}', '\u0000', '%'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 2, arbitrary: anyCodePoint },
  { weight: 2, arbitrary: planeSample },
  { weight: 2, arbitrary: controlByte },
  { weight: 2, arbitrary: loneSurrogate },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIALS) },
)

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.join('')) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 1, arbitrary: longString },
)

/** `valid` most of the time, hostile text otherwise, or `valid` with hostile text around it. */
export function aroundValid(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 3, arbitrary: hostileString },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, piece, fc.boolean())
        .map(([value, extra, before]) => (before ? extra + value : value + extra)),
    },
  )
}

/**
 * How a value goes into a URL: percent-encoded UTF-8 (the normal case), lone surrogates as their CESU-8 bytes
 * (not UTF-8: the server must refuse them), double-encoded, or partly raw (what a sloppy client sends).
 */
export type UrlEncoding = 'utf8' | 'cesu' | 'double' | 'raw'

const UNRESERVED = /[A-Za-z0-9\-._~]/

export function encodeUrlValue(value: string, encoding: UrlEncoding): string {
  let out = ''
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index)
    const char = value[index]!
    if (UNRESERVED.test(char)) {
      out += char
      continue
    }
    let bytes: Buffer
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < value.length) {
      const next = value.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes = Buffer.from(value.slice(index, index + 2), 'utf8')
        index++
        out += percent(bytes, encoding)
        continue
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      // A lone surrogate has no UTF-8 form: CESU-8 bytes, or U+FFFD as any UTF-8 encoder would send.
      bytes =
        encoding === 'cesu'
          ? Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)])
          : Buffer.from('\ufffd', 'utf8')
      out += percent(bytes, encoding)
      continue
    }
    if (encoding === 'raw' && unit > 0x20 && unit !== 0x7f && !'#?/%'.includes(char)) {
      out += char
      continue
    }
    out += percent(Buffer.from(char, 'utf8'), encoding)
  }
  return out
}

function percent(bytes: Buffer, encoding: UrlEncoding): string {
  const once = [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  return encoding === 'double' ? once.replaceAll('%', '%25') : once
}

export const urlEncoding: fc.Arbitrary<UrlEncoding> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<UrlEncoding>('utf8') },
  { weight: 1, arbitrary: fc.constant<UrlEncoding>('cesu') },
  { weight: 1, arbitrary: fc.constant<UrlEncoding>('double') },
  { weight: 1, arbitrary: fc.constant<UrlEncoding>('raw') },
)
