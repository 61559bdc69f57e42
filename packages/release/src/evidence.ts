/**
 * "Verified in ACC" evidence: written once per digest when ACC passed every gate, read when PRD is asked
 * to run that digest. Stored on the ledger branch as `evidence/<hex>/evidence.json` beside its reports.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { AccEvidence, type ChangesetSummary, type Policy, ReleaseError, validate } from './schemas.ts'

export function evidenceDir(digest: string): string {
  return `evidence/${digest.replace(/^sha256:/, '')}`
}

export function evidencePath(digest: string): string {
  return `${evidenceDir(digest)}/evidence.json`
}

export function buildEvidence(fields: Omit<AccEvidence, 'schema'>): AccEvidence {
  return validate(AccEvidence, { schema: 'ebox.acc-evidence/v2', ...fields }, 'the ACC evidence')
}

/**
 * Why this evidence does not let `digest` from `repository` reach PRD; empty when it does. Evidence is only
 * written on success, so any failure recorded in it means someone wrote it by hand.
 */
export function evidenceProblems(
  evidence: unknown,
  digest: string,
  repository: string,
  policy: Policy,
): string[] {
  let valid: AccEvidence
  try {
    valid = validate(AccEvidence, evidence, 'the ACC evidence')
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)]
  }
  const problems: string[] = []
  if (valid.digest !== digest) problems.push(`the evidence names ${valid.digest}, not ${digest}`)
  if (valid.image !== `${repository}@${digest}`)
    problems.push(`the evidence names image ${valid.image}, not ${repository}@${digest}`)
  for (const profile of policy.requiredProfiles) {
    const result = valid.conformance.find((candidate) => candidate.profile === profile)
    if (!result) problems.push(`no ${profile} conformance result in ACC`)
    else if (!result.passed) problems.push(`the ${profile} conformance profile failed in ACC`)
  }
  if (!valid.loadCheck.passed) problems.push('the ACC load check failed')
  return problems
}

/** One changeset file (`.changeset/<id>.md`): YAML front matter of package → bump, then the summary. */
export function parseChangeset(id: string, text: string): ChangesetSummary {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text)
  if (!match) throw new ReleaseError('INVALID_RECORD', `changeset ${id} has no front matter`)
  const releases: unknown = parse(match[1] ?? '') ?? {}
  return { id, releases: releases as ChangesetSummary['releases'], summary: (match[2] ?? '').trim() }
}

/** The changesets pending in a checkout: what is merged but not yet in a released version. */
export function readChangesets(changesetDir: string): ChangesetSummary[] {
  return readdirSync(changesetDir)
    .filter((name) => name.endsWith('.md') && name !== 'README.md')
    .sort()
    .map((name) => parseChangeset(name.slice(0, -3), readFileSync(join(changesetDir, name), 'utf8')))
}
