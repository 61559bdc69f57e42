/**
 * The release board as one static HTML page: inline CSS, no script, no external request, so it can be opened
 * from an artifact, a mail attachment or a laptop. Every value from the ledger or from git goes through
 * `escapeHtml`; links are only made from http(s) URLs.
 */
import type { ActiveFreeze } from '../freeze.ts'
import type { Refusal } from '../promotion.ts'
import type { Environment, LedgerEntry } from '../schemas.ts'
import { formatLocal } from '../zoned.ts'
import type { CommitFacts } from './commit-facts.ts'
import type { Board, CandidateView, HistoryRow, Running, SchemaStatus } from './model.ts'

export type Tone = 'ok' | 'warn' | 'bad' | 'frozen' | 'neutral'

/** Status colours: text on its tint. The browser test checks each pair's WCAG contrast as rendered. */
export const PALETTE = {
  text: { fg: '#1f2328', bg: '#ffffff' },
  muted: { fg: '#57606a', bg: '#ffffff' },
  link: { fg: '#0550ae', bg: '#ffffff' },
  ok: { fg: '#0f5323', bg: '#dafbe1' },
  warn: { fg: '#6b4400', bg: '#fff3c4' },
  bad: { fg: '#82071e', bg: '#ffebe9' },
  frozen: { fg: '#0a3069', bg: '#ddf4ff' },
  neutral: { fg: '#32383f', bg: '#eaeef2' },
} as const

const ENVIRONMENT_NAMES: Record<Environment, string> = { acc: 'ACC', prd: 'PRD' }

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  )
}

/** Tagged template: interpolated strings are escaped; `Html` values (already rendered) are not. */
class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}
type Part = string | number | Html | undefined | null | false | Part[]

function flatten(part: Part): string {
  if (part === undefined || part === null || part === false) return ''
  if (Array.isArray(part)) return part.map(flatten).join('')
  if (part instanceof Html) return part.text
  return escapeHtml(String(part))
}

function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? ''
  parts.forEach((part, index) => {
    out += flatten(part) + (strings[index + 1] ?? '')
  })
  return new Html(out.trim())
}

const isHttp = (url: string): boolean => /^https?:\/\/[^\s"'<>]+$/.test(url)

function link(url: string, text: Part): Html {
  return isHttp(url) ? html`<a href="${url}">${text}</a>` : html`${text}`
}

function when(iso: string | Date): Html {
  const instant = typeof iso === 'string' ? Date.parse(iso) : iso.getTime()
  return html`<time datetime="${new Date(instant).toISOString()}">${formatLocal('Europe/Brussels', instant)}</time>`
}

function badge(tone: Tone, text: string): Html {
  return html`<span class="badge ${tone}">${text}</span>`
}

const shortDigest = (digest: string): string => `${digest.slice(0, 'sha256:'.length + 12)}…`
const shortCommit = (commit: string): string => commit.slice(0, 7)

function digestCode(digest: string, short = false): Html {
  return short
    ? html`<code class="digest short" title="${digest}">${shortDigest(digest)}</code>`
    : html`<code class="digest">${digest}</code>`
}

function commitLink(board: Board, commit: string | undefined, facts: CommitFacts): Html {
  if (!commit) return html`<span class="muted">no commit</span>`
  const sha = link(`${board.repositoryUrl}/commit/${commit}`, html`<code>${shortCommit(commit)}</code>`)
  return facts.subject ? html`${sha} <span class="subject">${facts.subject}</span>` : sha
}

const version = (facts: CommitFacts): string => (facts.version ? `v${facts.version}` : 'version unknown')

/** GitHub logins, each kept on one line (they contain hyphens a browser would break at). */
const logins = (names: string[]): Html =>
  html`${names.map((name, index) => html`${index > 0 ? ', ' : ''}<span class="login">${name}</span>`)}`

const people = (names: string[], none: string): Html =>
  names.length > 0 ? logins(names) : html`<span class="muted">${none}</span>`

function field(name: string, value: Part): Html {
  return html`<div class="field"><dt>${name}</dt><dd>${value}</dd></div>`
}

const SCHEMA_TONE: Record<SchemaStatus, Tone> = {
  same: 'ok',
  compatible: 'ok',
  check: 'warn',
  differs: 'bad',
  unknown: 'neutral',
}
const SCHEMA_LABEL: Record<SchemaStatus, string> = {
  same: 'Schema: same',
  compatible: 'Schema: compatible',
  check: 'Schema: check by hand',
  differs: 'Schema: differs',
  unknown: 'Schema: unknown',
}

function rollbackBlock(board: Board, env: Running): Html {
  const target = env.rollback
  if (!target)
    return html`<h4>Rollback target</h4><p class="muted">None: no earlier good digest ran in ${ENVIRONMENT_NAMES[env.environment]}.</p>`
  return html`<h4>Rollback target</h4>
    <dl>
      ${field('Release', html`${version(target.facts)} · ${digestCode(target.digest)}`)}
      ${field('Commit', commitLink(board, target.commit, target.facts))}
      ${field('Last deployed', when(target.at))}
      ${field('Database', html`${badge(SCHEMA_TONE[target.schema.status], SCHEMA_LABEL[target.schema.status])} ${target.schema.detail}`)}
    </dl>`
}

function environmentCard(board: Board, name: Environment): Html {
  const env = board.environments[name]
  if (!env)
    return html`<article class="card"><h3>${ENVIRONMENT_NAMES[name]}</h3><p class="muted">The ledger records no deployment.</p></article>`
  const approval =
    name === 'acc'
      ? html`<span class="muted">no approval in ACC</span>`
      : people(env.since.approvedBy, 'nobody recorded')
  return html`<article class="card" aria-labelledby="env-${name}">
    <h3 id="env-${name}">${ENVIRONMENT_NAMES[name]} runs ${version(env.facts)}</h3>
    <dl>
      ${field('Digest', digestCode(env.digest))}
      ${field('Commit', commitLink(board, env.commit, env.facts))}
      ${field('Deployed', html`${when(env.since.at)} by ${env.since.action} (${link(env.since.runUrl, 'run')})`)}
      ${field('Triggered by', logins([env.since.actor]))}
      ${field('Approved by', approval)}
    </dl>
    ${rollbackBlock(board, env)}
  </article>`
}

function freezeRow(window: ActiveFreeze, status: Html): Part[] {
  return [window.name, when(window.start), when(window.end), window.reason, status]
}

function freezeSection(board: Board): Html {
  const { inForce, thaw, upcoming } = board.freeze
  const banner = inForce
    ? html`<p class="banner frozen">${badge('frozen', 'Frozen')} PRD is frozen: <strong>${inForce.name}</strong> (${inForce.reason}). Promotions resume at ${when(thaw ?? inForce.end)}. Rollbacks are always allowed.</p>`
    : html`<p class="banner ok">${badge('ok', 'Open')} No freeze window is open: promotions may go ahead.</p>`
  const rows = [
    ...(inForce ? [freezeRow(inForce, badge('frozen', 'In force'))] : []),
    ...upcoming.map((window) => freezeRow(window, badge('neutral', 'Upcoming'))),
  ]
  return html`<section aria-labelledby="freeze">
    <h2 id="freeze">Freeze windows</h2>
    ${banner}
    ${
      rows.length > 0
        ? table(
            'Freeze windows in force and upcoming (Europe/Brussels)',
            ['Window', 'From', 'Until', 'Reason', 'Status'],
            rows,
          )
        : html`<p class="muted">No window in the next days.</p>`
    }
  </section>`
}

/**
 * A table whose first cell in each row heads the row. Below 40rem the CSS stacks each row as a card labelled
 * by `data-label`; the explicit roles keep it a table for screen readers even then.
 */
function table(caption: string, headers: string[], rows: Part[][]): Html {
  const body = rows.map(
    ([head, ...cells]) =>
      html`<tr role="row"><th scope="row" role="rowheader">${head}</th>${cells.map(
        (cell, index) => html`<td role="cell" data-label="${headers[index + 1] ?? ''}">${cell}</td>`,
      )}</tr>`,
  )
  return html`<table role="table">
    <caption>${caption}</caption>
    <thead role="rowgroup"><tr role="row">${headers.map((header) => html`<th scope="col" role="columnheader">${header}</th>`)}</tr></thead>
    <tbody role="rowgroup">${body}</tbody>
  </table>`
}

function refusalItem(refusal: Refusal): Html {
  const tone: Tone = refusal.code === 'FROZEN' ? 'frozen' : refusal.clearsAt ? 'warn' : 'bad'
  const clears = refusal.clearsAt && html`<span class="clears">Clears at ${when(refusal.clearsAt)}.</span>`
  return html`<li>${badge(tone, refusal.code)} ${refusal.message} ${clears}</li>`
}

function candidateStatus(candidate: CandidateView): Html {
  if (candidate.refusals.length === 0) return badge('ok', 'Promotable now')
  if (candidate.refusals.every((refusal) => refusal.clearsAt)) return badge('warn', 'Waiting')
  return badge('bad', 'Blocked')
}

/** Where the soak figure comes from: continuous time in ACC, as the ledger records it. */
function soakStay(soak: CandidateView['soak']): Html {
  if (!soak.since) return html`no stay in ACC known (${soak.source})`
  const stay = soak.until
    ? html`in ACC from ${when(soak.since)} until ${when(soak.until)}, when ACC moved on`
    : html`in ACC without interruption since ${when(soak.since)}`
  return html`${stay} (${soak.source})`
}

function candidateCard(board: Board, candidate: CandidateView): Html {
  const percent = Math.round((candidate.soak.minutes / Math.max(1, candidate.soak.required)) * 100)
  return html`<article class="card" aria-labelledby="candidate-${candidate.digest.slice(7, 19)}">
    <h3 id="candidate-${candidate.digest.slice(7, 19)}">${version(candidate.facts)} ${candidateStatus(candidate)}</h3>
    <dl>
      ${field('Digest', digestCode(candidate.digest))}
      ${field('Commit', commitLink(board, candidate.commit, candidate.facts))}
      ${field('Verified in ACC', html`${when(candidate.verifiedAt)} (${link(candidate.verifiedRunUrl, 'run')})`)}
      ${field(
        'Soak',
        html`${candidate.soak.minutes} of ${candidate.soak.required} minutes (${percent} %)
          <span class="bar" aria-hidden="true"><span style="width:${percent}%"></span></span>
          <span class="muted">${soakStay(candidate.soak)}</span>`,
      )}
    </dl>
    ${
      candidate.refusals.length > 0
        ? html`<h4>Not yet, because</h4><ul class="refusals">${candidate.refusals.map(refusalItem)}</ul>`
        : html`<p>Nothing stands in the way: start <strong>Promote to PRD</strong> with this digest.</p>`
    }
  </article>`
}

const OUTCOME_TONE: Record<LedgerEntry['outcome'], Tone> = { succeeded: 'ok', failed: 'bad', refused: 'warn' }

/** Version, digest and commit, without the subject: the history stays one line per run on a wide screen. */
function releaseCell(board: Board, entry: LedgerEntry, facts: CommitFacts): Html {
  const replaced = entry.replaced
    ? html`<br><span class="muted">replacing</span> ${digestCode(entry.replaced, true)}`
    : ''
  return html`${version(facts)} · ${commitLink(board, entry.commit, {})}<br>${digestCode(entry.digest, true)}${replaced}`
}

function historyRow(board: Board, { entry, facts }: HistoryRow): Part[] {
  const approved =
    entry.approvedBy.length > 0
      ? html`<br><span class="muted">approved by</span> ${logins(entry.approvedBy)}`
      : ''
  return [
    when(entry.at),
    ENVIRONMENT_NAMES[entry.environment],
    entry.action,
    badge(OUTCOME_TONE[entry.outcome], entry.outcome),
    releaseCell(board, entry, facts),
    html`${logins([entry.actor])}${approved}`,
    entry.reasons.length > 0
      ? html`<ul class="reasons">${entry.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`
      : html`<span class="muted">none</span>`,
    link(entry.runUrl, 'run'),
  ]
}

function rejectedRow(board: Board, { entry, facts }: HistoryRow): Part[] {
  return [
    digestCode(entry.digest),
    html`${version(facts)}<br>${commitLink(board, entry.commit, facts)}`,
    entry.reasons.join('; ') || 'no reason given',
    logins([entry.actor]),
    when(entry.at),
    link(entry.runUrl, 'run'),
  ]
}

const STYLE = `
:root{color-scheme:light;--text:${PALETTE.text.fg};--bg:${PALETTE.text.bg};--muted:${PALETTE.muted.fg};--link:${PALETTE.link.fg};--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--text);background:var(--bg)}
header,main,footer{max-width:80rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.5rem;border-bottom:1px solid var(--line)}
h1{font-size:1.75rem;margin:0 0 .25rem}
h2{font-size:1.35rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
h4{font-size:1rem;margin:1rem 0 .25rem}
a{color:var(--link)}
code{font:.9em/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
.digest{overflow-wrap:anywhere}
.digest.short,.login{white-space:nowrap}
.muted{color:var(--muted)}
.subject{overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:1rem;min-width:0}
dl{margin:0}
.field{display:grid;grid-template-columns:8.5rem minmax(0,1fr);gap:.5rem;padding:.2rem 0}
dt{color:var(--muted)}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.875rem;font-weight:600;white-space:nowrap}
${(['ok', 'warn', 'bad', 'frozen', 'neutral'] as const)
  .map((tone) => `.badge.${tone},.banner.${tone}{color:${PALETTE[tone].fg};background:${PALETTE[tone].bg}}`)
  .join('\n')}
.banner{padding:.75rem 1rem;border-radius:8px}
.banner .badge{background:var(--bg)}
.bar{display:block;height:.4rem;background:#eaeef2;border-radius:.2rem;margin-top:.25rem;max-width:16rem}
.bar span{display:block;height:100%;background:#0969da;border-radius:.2rem}
.refusals,.reasons{margin:.25rem 0 0;padding-left:1.25rem}
.refusals li{margin:.25rem 0}
.clears{display:block;font-weight:600}
time{white-space:nowrap}
table{border-collapse:collapse;width:100%}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
thead th{border-bottom:2px solid var(--line);white-space:nowrap}
tbody th{font-weight:400}
footer{margin-top:2rem;padding-bottom:2rem;color:var(--muted);border-top:1px solid var(--line)}
@media (max-width:40rem){
  .field{grid-template-columns:1fr;gap:0}
  table,thead,tbody,tr,th,td{display:block}
  caption{display:block}
  thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  tr{border:1px solid var(--line);border-radius:8px;margin:.5rem 0;padding:.25rem .5rem}
  th,td{border:0;padding:.2rem 0}
  tbody th{font-weight:600}
  td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}
}
`

export function renderBoard(board: Board): string {
  const environments = (['prd', 'acc'] as const).map((name) => environmentCard(board, name))
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Release board: ${board.repository}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<header>
  <h1>Release board</h1>
  <p class="muted">${board.repository} · generated ${when(board.generatedAt)} · all times Europe/Brussels with their UTC offset · read from the promotion ledger</p>
</header>
<main>
  <section aria-labelledby="running">
    <h2 id="running">What runs where</h2>
    <div class="cards">${environments}</div>
  </section>
  ${freezeSection(board)}
  <section aria-labelledby="candidates">
    <h2 id="candidates">Candidates for PRD</h2>
    <p class="muted">Digests verified in ACC after the one PRD runs, judged now by the same check as the promotion gate (soak: ${board.minimumSoakMinutes} minutes in ACC without interruption). The board checks no signature: it reads the verification records and the ACC deployments from the ledger, unverified; the promotion run trusts only the signed statements, and verifies them, the image signature, the provenance and that the commit is on main itself.</p>
    ${
      board.candidates.length > 0
        ? html`<div class="cards">${board.candidates.map((candidate) => candidateCard(board, candidate))}</div>`
        : html`<p>No candidate: PRD runs the newest digest verified in ACC.</p>`
    }
  </section>
  <section aria-labelledby="rejected">
    <h2 id="rejected">Rejected digests</h2>
    ${
      board.rejected.length > 0
        ? table(
            'Digests that will never be promoted to PRD',
            ['Digest', 'Release', 'Reason', 'Rejected by', 'When', 'Run'],
            board.rejected.map((row) => rejectedRow(board, row)),
          )
        : html`<p>No digest was rejected.</p>`
    }
  </section>
  <section aria-labelledby="history">
    <h2 id="history">Recent deployments, promotions and rollbacks</h2>
    ${
      board.history.length > 0
        ? table(
            `The last ${board.history.length} runs recorded in the ledger, newest first`,
            ['When', 'Environment', 'Action', 'Outcome', 'Release', 'By', 'Reasons', 'Run'],
            board.history.map((row) => historyRow(board, row)),
          )
        : html`<p>The ledger is empty.</p>`
    }
  </section>
</main>
<footer><p>Rendered by <code>ebox-release board</code> from the <code>promotion-ledger</code> branch. See docs/release-process.md.</p></footer>
</body>
</html>`
  return `${page.text}\n`
}
