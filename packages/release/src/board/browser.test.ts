/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The functions passed to page.evaluate run in the page: they need the DOM types.
/**
 * The sample board as a person sees it: rendered by the CLI, opened in headless Chromium (Debian's package,
 * no browser download) with JavaScript off, checked for its key facts, its accessibility basics and its
 * layout at 1280 and 390 px wide, and photographed. CI installs Chromium (.ci/run); on a machine without it
 * the test is skipped, except under CI where a missing browser is a failure.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../cli.ts'
import { contrastRatio, parseCssColour } from './contrast.ts'

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH
  // Debian's package here and in .ci/run; GitHub's runner images also ship Chromium and Chrome.
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    } catch {}
  }
  return undefined
}

const chromium = findChromium()
const SCREENSHOTS = new URL('../../reports/', import.meta.url).pathname

if (!chromium && process.env.CI)
  throw new Error('Chromium is not installed: .ci/run installs Debian’s chromium')

describe.skipIf(!chromium)('the sample release board in Chromium', () => {
  let browser: Browser
  let page: Page
  const requested: string[] = []
  let url: string

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'release-board-'))
    let stderr = ''
    const code = await runCli(['board', '--sample', '--out', out], {
      stdout: () => {},
      stderr: (text) => {
        stderr += text
      },
      env: {},
    })
    expect(code, stderr).toBe(0)
    url = pathToFileURL(join(out, 'index.html')).href
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // Root in CI has no user namespace for the sandbox; the page is our own static file.
      args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
    })
    page = await browser.newPage()
    await page.setJavaScriptEnabled(false)
    page.on('request', (request) => requested.push(request.url()))
    await page.setViewport({ width: 1280, height: 900 })
    await page.goto(url, { waitUntil: 'load' })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
  })

  // innerText on purpose: the text as rendered, which is what a person reads.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
  const text = (): Promise<string> => page.evaluate(() => document.body.innerText)

  it('makes no request beyond the page itself and carries no script', async () => {
    expect(requested).toEqual([url])
    expect(await page.$$eval('script, link, iframe, img:not([src^="data:"])', (found) => found.length)).toBe(
      0,
    )
  })

  it('shows what runs where, the freeze in force with local times, the candidates, the rejection and the history', async () => {
    const shown = await text()
    for (const fact of [
      'PRD runs v1.6.1',
      'ACC runs v1.7.1',
      'an-dewit, sofie-janssens', // who approved what PRD runs
      'Schema: differs', // PRD's rollback target needs an older schema version
      '0006_performance',
      'needs schema 0005_federation',
      'PRD is frozen',
      // The weekend window starts in winter time and ends after the clocks went forward.
      '2027-03-26 16:00 (+01:00)',
      '2027-03-29 08:00 (+02:00)',
      'Promotions resume at 2027-03-30 08:00 (+02:00)', // Easter Monday touches the weekend: one freeze
      'SOAK_INCOMPLETE',
      '34 of 120 minutes',
      'in ACC without interruption since 2027-03-26 16:55 (+01:00) (from the ledger, unverified)',
      'Clears at 2027-03-26 18:55 (+01:00).',
      'FROZEN',
      'cursor <after> not stable', // the rejection's reason, as text
      'sofie-janssens',
      'automatic, after step "conformance" ended failure',
    ])
      expect(shown).toContain(fact)
    // A commit subject with HTML and Markdown in it is shown as typed, never interpreted.
    expect(shown).toContain('Escape <script> and "quotes" in sender display names (**not** Markdown)')
  })

  it('links each history row to its run', async () => {
    const links = await page.$$eval('#history ~ table tbody tr', (rows) =>
      rows.map((row) => row.querySelector('a[href*="/actions/runs/"]')?.getAttribute('href') ?? ''),
    )
    expect(links.length).toBe(10)
    expect(links.every((href) => /^https:\/\/github\.com\/.+\/actions\/runs\/\d+$/.test(href))).toBe(true)
  })

  it('has one h1 and headings that never skip a level', async () => {
    const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (headings) =>
      headings.map((heading) => Number(heading.tagName.slice(1))),
    )
    expect(levels.filter((level) => level === 1)).toEqual([1])
    expect(levels[0]).toBe(1)
    levels.slice(1).forEach((level, index) => {
      expect(level - (levels[index] as number)).toBeLessThanOrEqual(1)
    })
  })

  it('gives every table a caption, scoped column headers and a header per row', async () => {
    const tables = await page.$$eval('table', (found) =>
      found.map((table) => ({
        caption: table.querySelector('caption')?.textContent?.trim() ?? '',
        columns: [...table.querySelectorAll('thead th')].map((th) => th.getAttribute('scope')),
        rows: [...table.querySelectorAll('tbody tr')].map(
          (row) => `${row.firstElementChild?.tagName} ${row.firstElementChild?.getAttribute('scope')}`,
        ),
        cellsPerRow: [...table.querySelectorAll('tbody tr')].map((row) => row.children.length),
      })),
    )
    expect(tables.length).toBe(3)
    for (const table of tables) {
      expect(table.caption).not.toBe('')
      expect(table.columns.every((scope) => scope === 'col')).toBe(true)
      expect(table.rows.every((row) => row === 'TH row')).toBe(true)
      expect(table.cellsPerRow.every((count) => count === table.columns.length)).toBe(true)
    }
  })

  it('shows every status colour, link and text with a contrast of at least 4.5:1', async () => {
    const pairs = await page.$$eval('body *', (elements) => {
      const background = (element: Element | null): string => {
        for (let at = element; at; at = at.parentElement) {
          const colour = getComputedStyle(at).backgroundColor
          if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour
        }
        return 'rgb(255, 255, 255)'
      }
      return elements
        .filter((element) =>
          [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent?.trim()),
        )
        .map((element) => ({
          what: `${element.tagName.toLowerCase()} "${element.textContent?.trim().slice(0, 30)}"`,
          className: element.className,
          fg: getComputedStyle(element).color,
          bg: background(element),
        }))
    })
    expect(pairs.length).toBeGreaterThan(100)
    // Every status tone is on the sample page, so each one is measured.
    const tones = new Set(
      pairs.filter((pair) => pair.className.startsWith('badge ')).map((pair) => pair.className),
    )
    expect([...tones].sort()).toEqual([
      'badge bad',
      'badge frozen',
      'badge neutral',
      'badge ok',
      'badge warn',
    ])
    const low = pairs
      .map((pair) => ({ ...pair, ratio: contrastRatio(parseCssColour(pair.fg), parseCssColour(pair.bg)) }))
      .filter((pair) => pair.ratio < 4.5)
    expect(low).toEqual([])
  })

  for (const width of [1280, 390]) {
    it(`is readable at ${width} px wide: no horizontal scrolling, text at least 14 px`, async () => {
      await page.setViewport({ width, height: 900 })
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        smallest: Math.min(
          ...[...document.querySelectorAll('body *')]
            // biome-ignore lint/performance/useDomNodeTextContent: only text that is rendered counts
            .filter((element) => (element as HTMLElement).innerText?.trim())
            .map((element) => Number.parseFloat(getComputedStyle(element).fontSize)),
        ),
        // Visible facts stay inside the viewport (nothing cut off on the right).
        beyond: [...document.querySelectorAll('main *')]
          .filter(
            (element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 1,
          )
          .map((element) => element.tagName),
      }))
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth)
      expect(layout.beyond).toEqual([])
      expect(layout.smallest).toBeGreaterThanOrEqual(14)
      mkdirSync(SCREENSHOTS, { recursive: true })
      const shot = await page.screenshot({ path: `${SCREENSHOTS}release-board-${width}.png`, fullPage: true })
      expect(shot.length).toBeGreaterThan(10_000)
    })
  }
})
