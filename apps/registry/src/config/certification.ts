import { type EboxIdentity, isValidEnterpriseNumber, isValidSsin } from '@ebox/contract'
import { DEMO, DEMO_TEST_DATA_FILE } from '@ebox/demo-data'
import type { Reader } from './reader.ts'

/** `POST /certification/resetDataSet` (routes/certification.ts): which e-Boxes it may rewrite, and with what. */
export interface CertificationConfig {
  /** CERTIFICATION_RESET_ENABLED: the reset is refused (403) unless switched on. */
  resetEnabled: boolean
  /** CERTIFICATION_TEST_EBOXES: the only e-Boxes a reset may rewrite, in every environment. */
  testEboxes: EboxIdentity[]
  /** CERTIFICATION_TEST_DATA_FILE: what a reset loads into them (a TestDataFile, validated at start). */
  testDataFile: string
}

/**
 * Where the demo e-Boxes may be real ones (their numbers are valid), the test e-Boxes are never guessed: an
 * operator names them, and switching the reset on without naming any stops the service.
 */
const TEST_EBOXES_REQUIRED = ['acceptation', 'production']

/** An enterprise number (10 digits) or an SSIN (11 digits), each with its check digits. */
export function parseEboxId(id: string): EboxIdentity | undefined {
  if (/^\d{10}$/.test(id) && isValidEnterpriseNumber(id)) return { eboxType: 'enterprise', id }
  if (/^\d{11}$/.test(id) && isValidSsin(id)) return { eboxType: 'citizen', id }
  return undefined
}

export function readCertificationConfig(read: Reader, environment: string): CertificationConfig {
  const resetEnabled = read.boolean('CERTIFICATION_RESET_ENABLED', false)
  const required = TEST_EBOXES_REQUIRED.includes(environment)
  const demoEboxes = [DEMO.enterprise, DEMO.secondEnterprise, DEMO.citizenSsin]
  const ids = read.list('CERTIFICATION_TEST_EBOXES', required ? [] : demoEboxes)
  const testEboxes: EboxIdentity[] = []
  for (const id of ids) {
    const ebox = parseEboxId(id)
    if (ebox) testEboxes.push(ebox)
    else {
      read.problems.push(
        `CERTIFICATION_TEST_EBOXES: "${id}" is neither an enterprise number (10 digits) nor an SSIN (11 digits) with valid check digits`,
      )
    }
  }
  if (resetEnabled && ids.length === 0) {
    read.problems.push(
      `CERTIFICATION_TEST_EBOXES must name the test e-Boxes when CERTIFICATION_RESET_ENABLED=true with EBOX_ENVIRONMENT=${environment}`,
    )
  }
  return {
    resetEnabled,
    testEboxes,
    testDataFile: read.string('CERTIFICATION_TEST_DATA_FILE', DEMO_TEST_DATA_FILE),
  }
}
