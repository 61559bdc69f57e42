/**
 * What deploy-acc.yml signs (with `actions/attest`, keyless, as deploy-acc.yml on main):
 * - `acc-order`: refuses to deploy a commit that is not a descendant of what ACC runs (no regression);
 * - `acc-record`: the predicate of an ACC deploy record (the digest arrived in ACC, or departed from it);
 * - `acc-verification`: the predicate of the ACC verification, once every gate passed.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AccDeployRecord } from '../attestations.ts'
import { buildEvidence, evidenceDir, readChangesets } from '../evidence.ts'
import { isAncestor } from '../git.ts'
import { currentDeployment } from '../ledger.ts'
import { assertDigest } from '../promotion.ts'
import {
  CONFORMANCE_PROFILES,
  type ConformanceResult,
  LoadCheckReport,
  ReleaseError,
  validate,
} from '../schemas.ts'
import { type Context, readJson, required } from './context.ts'

function writeOut(ctx: Context, value: unknown): void {
  writeFileSync(required(ctx.values, 'out'), `${JSON.stringify(value, null, 2)}\n`)
}

/** The newest migration's name: the schema version an image needs. */
export function schemaVersionOf(migrationsDir: string): string {
  const newest = readdirSync(migrationsDir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .at(-1)
  if (!newest) throw new ReleaseError('INVALID_INPUT', `no migrations in ${migrationsDir}`)
  return newest.replace(/\.sql$/, '')
}

export function accOrder(ctx: Context): number {
  const commit = required(ctx.values, 'commit')
  const running = currentDeployment(ctx.ledger(), 'acc')
  if (
    running &&
    running.commit !== commit &&
    !isAncestor(ctx.values['repo-dir'] ?? '.', running.commit, commit)
  ) {
    ctx.io.stderr(
      `::error::ACC runs ${running.commit}, which ${commit} does not contain: refusing to go back\n`,
    )
    return 1
  }
  return 0
}

export function accRecord(ctx: Context): number {
  const digest = required(ctx.values, 'digest')
  const event = required(ctx.values, 'event')
  const counterpart = ctx.values.counterpart || undefined
  const record = validate(
    AccDeployRecord,
    {
      digest,
      commit: required(ctx.values, 'commit'),
      event,
      at: ctx.now().toISOString(),
      ...(counterpart ? { counterpart } : {}),
      runUrl: ctx.runUrl,
    },
    'the ACC deploy record',
  )
  writeOut(ctx, record)
  ctx.output({ at: record.at })
  return 0
}

function conformanceResults(
  conformanceDir: string,
  profiles: readonly string[],
  dir: string,
): ConformanceResult[] {
  return CONFORMANCE_PROFILES.filter((profile) => profiles.includes(profile)).map((profile) => ({
    profile,
    // Only passing runs reach this point: the workflow gates on the suite's exit code.
    passed: true,
    report: `${dir}/conformance-${profile}.json`,
    reportSha256: createHash('sha256')
      .update(readFileSync(join(conformanceDir, profile, 'report.json')))
      .digest('hex'),
  }))
}

export function accVerification(ctx: Context): number {
  const digest = required(ctx.values, 'digest')
  assertDigest(digest)
  const policy = ctx.policy()
  const loadReport = validate(
    LoadCheckReport,
    readJson(required(ctx.values, 'load-report'), 'the load report'),
    'the load report',
  )
  const evidence = buildEvidence({
    digest,
    image: `${ctx.repository()}@${digest}`,
    commit: required(ctx.values, 'commit'),
    deployedAt: required(ctx.values, 'deployed-at'),
    verifiedAt: ctx.now().toISOString(),
    runUrl: ctx.runUrl,
    schemaVersion: schemaVersionOf(ctx.values['migrations-dir'] ?? 'apps/registry/migrations'),
    changesets: readChangesets(ctx.values['changeset-dir'] ?? '.changeset'),
    conformance: conformanceResults(
      required(ctx.values, 'conformance-dir'),
      policy.requiredProfiles,
      evidenceDir(digest),
    ),
    loadCheck: loadReport,
  })
  writeOut(ctx, evidence)
  return 0
}
