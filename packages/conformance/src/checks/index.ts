import type { CheckDefinition } from '../framework.ts'
import { authChecks } from './auth.ts'
import { certificationChecks } from './certification.ts'
import { corsChecks, dataChecks, isolationChecks } from './cross-cutting.ts'
import { filterChecks } from './filters.ts'
import { listChecks } from './list.ts'
import { messageChecks } from './messages.ts'
import { optionalChecks } from './optional.ts'
import { referenceDataChecks } from './reference-data.ts'
import { searchChecks } from './search.ts'

const byPrefix = (checks: CheckDefinition[], prefix: string) =>
  checks.filter((check) => check.id.startsWith(prefix))

/**
 * Every check, in running order within a phase (the runner orders phases: setup, read, write, final). In the
 * write phase the read-marking checks come before the downloads that may mark messages read.
 */
export const ALL_CHECKS: readonly CheckDefinition[] = [
  ...certificationChecks,
  ...authChecks,
  ...listChecks,
  ...filterChecks,
  ...searchChecks,
  ...byPrefix(messageChecks, 'message.'),
  ...referenceDataChecks,
  ...dataChecks,
  ...isolationChecks,
  ...corsChecks,
  ...optionalChecks,
  ...byPrefix(messageChecks, 'read.'),
  ...byPrefix(messageChecks, 'content.'),
]
