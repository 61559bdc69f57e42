import { describe, expect, it } from 'vitest'
import { commitOf, digestOf, entry, evidenceFor, NO_FREEZE, POLICY, REPOSITORY } from '../test-support.ts'
import { contrastRatio, parseCssColour } from './contrast.ts'
import { buildBoard } from './model.ts'
import { escapeHtml, PALETTE, renderBoard } from './render.ts'
import { sampleSource } from './sources.ts'

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)> " onmouseover="alert(2)" ' **bold** [link](javascript:alert(3)) & </td>`

function hostileBoard() {
  const A = digestOf('a')
  const B = digestOf('b')
  const ledger = [
    entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('1'), actor: HOSTILE }),
    entry({
      environment: 'acc',
      action: 'deploy',
      digest: B,
      commit: commitOf('2'),
      approvedBy: [HOSTILE],
      reasons: [HOSTILE],
      runUrl: 'javascript:alert(4)',
    }),
    entry({
      environment: 'prd',
      action: 'reject',
      digest: B,
      commit: commitOf('2'),
      actor: HOSTILE,
      reasons: [HOSTILE],
      runUrl: 'https://github.com/acme/ebox/actions/runs/5"><script>alert(5)</script>',
    }),
  ]
  return buildBoard({
    ledger,
    verificationOf: (digest) => (digest === B ? evidenceFor(B, { commit: commitOf('2') }) : undefined),
    calendar: {
      ...NO_FREEZE,
      windows: [{ name: HOSTILE, start: '2026-06-10T08:00', end: '2026-06-11T08:00', reason: HOSTILE }],
    },
    policy: POLICY,
    repository: REPOSITORY,
    repositoryUrl: 'https://github.com/acme/ebox',
    commitFacts: () => ({ subject: HOSTILE, version: HOSTILE, migrations: [HOSTILE] }),
    now: new Date('2026-06-10T09:00:00Z'),
    limit: 10,
  })
}

describe('the rendered board', () => {
  const page = renderBoard(hostileBoard())

  it('escapes every value from the ledger, the calendar and git', () => {
    expect(page).not.toMatch(/<script/i)
    expect(page).not.toMatch(/<img/i)
    expect(page).not.toMatch(/ onmouseover="/)
    expect(page).not.toMatch(/(href|src)="javascript:/)
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(page).toContain('&quot; onmouseover=&quot;alert(2)&quot; &#39; **bold**')
    // The hostile text appears as text in each place it is shown.
    expect(page.split('&lt;img src=x onerror=alert(1)&gt;').length - 1).toBeGreaterThan(8)
  })

  it('makes links only of http(s) URLs', () => {
    const hrefs = [...page.matchAll(/href="([^"]*)"/g)].map((match) => match[1])
    expect(hrefs.length).toBeGreaterThan(3)
    for (const href of hrefs) expect(href).toMatch(/^https:\/\/github\.com\/acme\/ebox\/[^"<>\s]+$/)
    // A run URL with markup in it is not linked at all.
    expect(hrefs.filter((href) => href?.includes('/runs/5'))).toEqual([])
  })

  it('forbids scripts and external requests in its own policy, and needs no JavaScript', () => {
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`)
    expect(page).not.toMatch(/<(script|link|iframe)\b/)
    expect(page).not.toMatch(/(src|href)="(?!https:\/\/github\.com\/)/)
  })

  it('shows instants in Brussels time with the UTC offset', () => {
    const sample = renderBoard(buildBoard({ ...sampleSource(), limit: 10 }))
    expect(sample).toContain('<time datetime="2027-03-26T15:00:00.000Z">2027-03-26 16:00 (+01:00)</time>')
    expect(sample).toContain('<time datetime="2027-03-29T06:00:00.000Z">2027-03-29 08:00 (+02:00)</time>')
  })

  it('renders an empty ledger without failing', () => {
    const empty = renderBoard(
      buildBoard({ ...sampleSource(), ledger: [], limit: 10, now: new Date('2027-03-24T12:00:00Z') }),
    )
    expect(empty).toContain('The ledger records no deployment.')
    expect(empty).toContain('No freeze window is open')
    expect(empty).toContain('The ledger is empty.')
  })
})

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    )
  })
})

describe('the status colours', () => {
  it('reach WCAG AA contrast (4.5:1) for text on their tint', () => {
    for (const [name, { fg, bg }] of Object.entries(PALETTE))
      expect(contrastRatio(parseCssColour(fg), parseCssColour(bg)), name).toBeGreaterThanOrEqual(4.5)
  })

  it('are measured correctly: black on white is 21:1, a light grey fails', () => {
    expect(contrastRatio(parseCssColour('#000000'), parseCssColour('rgb(255, 255, 255)'))).toBeCloseTo(21, 5)
    expect(contrastRatio(parseCssColour('#999999'), parseCssColour('#ffffff'))).toBeLessThan(4.5)
    expect(() => parseCssColour('rgba(0, 0, 0, 0.5)')).toThrow(/opaque/)
  })
})
