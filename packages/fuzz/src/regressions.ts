import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FuzzCase } from './generate.ts'
import type { Failure } from './oracles.ts'
import { ROLES, type Role } from './roles.ts'

/** Where found counterexamples are kept; the test suite replays every file in it. */
export const REGRESSION_DIR = fileURLToPath(new URL('../regressions', import.meta.url))

/** A shrunk counterexample as stored: the request (token as `{{token}}`), what it broke, and how to replay it. */
export interface RegressionCase {
  operation: string
  role: Role
  offTemplate: boolean
  request: { method: string; target: string; headers: [string, string][]; bodyBase64?: string }
  found: { oracle: Failure['oracle']; detail: string; seed?: number; at: string }
  curl: string
}

export function toRegression(
  fuzzCase: FuzzCase,
  failure: Failure,
  curl: string,
  seed?: number,
): RegressionCase {
  const { body, ...request } = fuzzCase.request
  return {
    operation: fuzzCase.operation,
    role: fuzzCase.role,
    offTemplate: fuzzCase.offTemplate,
    request: { ...request, ...(body && body.length > 0 && { bodyBase64: body.toString('base64') }) },
    found: { oracle: failure.oracle, detail: failure.detail, seed, at: new Date().toISOString() },
    curl,
  }
}

export function fromRegression(regression: RegressionCase): FuzzCase {
  if (!ROLES.includes(regression.role)) throw new Error(`unknown role ${regression.role}`)
  const { bodyBase64, ...request } = regression.request
  return {
    operation: regression.operation,
    role: regression.role,
    offTemplate: regression.offTemplate,
    request: { ...request, ...(bodyBase64 && { body: Buffer.from(bodyBase64, 'base64') }) },
  }
}

/** Saves a case under a name made of its operation, its oracle and a hash of the request; returns the path. */
export async function saveRegression(regression: RegressionCase, dir = REGRESSION_DIR): Promise<string> {
  await mkdir(dir, { recursive: true })
  const hash = createHash('sha256').update(JSON.stringify(regression.request)).digest('hex').slice(0, 10)
  const slug = `${regression.operation}-${regression.found.oracle}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
  const file = join(dir, `${slug}-${hash}.json`)
  await writeFile(file, `${JSON.stringify(regression, null, 2)}\n`)
  return file
}

export async function loadRegressions(
  dir = REGRESSION_DIR,
): Promise<{ file: string; case: RegressionCase }[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.json'))
    .sort()
  return Promise.all(
    names.map(async (name) => ({
      file: name,
      case: JSON.parse(await readFile(join(dir, name), 'utf8')) as RegressionCase,
    })),
  )
}
