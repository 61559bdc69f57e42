import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

const run = promisify(execFile)
const REDOCLY = fileURLToPath(new URL('../node_modules/.bin/redocly', import.meta.url))

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
  await registry.app.ready()
})
afterAll(() => registry.close())

type Operation = { operationId?: string; responses?: Record<string, unknown>; security?: unknown[] }

describe('the OpenAPI document', () => {
  it('declares every consultation operation with its error responses', () => {
    const document = registry.app.swagger() as { paths: Record<string, Record<string, Operation>> }
    const expected: [string, string, string[]][] = [
      ['/ebox/messages', 'get', ['200', '400', '401', '403']],
      ['/ebox/messages', 'patch', ['200', '400', '401', '403', '404', '415']],
      ['/ebox/messages/{messageId}', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments/{attachmentId}', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments/{attachmentId}/content', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/body', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/paymentData', 'get', ['200', '401', '403', '404']],
      ['/ebox/statistics', 'get', ['200', '401', '403']],
      ['/ebox', 'get', ['200', '401', '403']],
      ['/referenceData/messageTypes', 'get', ['200', '304', '400', '401', '403']],
      ['/referenceData/messageTypes/{id}', 'get', ['200', '304', '401', '403', '404']],
      ['/referenceData/senderApplications/{id}', 'get', ['200', '304', '401', '403', '404']],
      ['/referenceData/senderOrganizations/{id}', 'get', ['200', '304', '401', '403', '404']],
      [
        '/referenceData/senderOrganizations/{id}/images/{imageId}/content',
        'get',
        ['200', '304', '401', '403', '404'],
      ],
      ['/refData/senderOrganizations/{id}', 'get', ['200', '304', '401', '403', '404']],
      ['/certification/resetDataSet', 'post', ['204', '401', '403']],
    ]
    for (const [path, method, statuses] of expected) {
      const operation = document.paths[path]?.[method]
      expect(operation, `${method} ${path}`).toBeDefined()
      for (const status of statuses)
        expect(operation?.responses, `${method} ${path} ${status}`).toHaveProperty(status)
      expect(operation?.security, `${method} ${path}`).toEqual([{ bearer: [] }])
    }
  })

  it('lints clean with @redocly/cli', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'))
    const file = join(dir, 'openapi.json')
    await writeFile(file, JSON.stringify(registry.app.swagger(), null, 2))
    await writeFile(join(dir, 'redocly.yaml'), 'extends:\n  - minimal\n')
    const result = await run(
      REDOCLY,
      ['lint', file, '--config', join(dir, 'redocly.yaml'), '--format', 'json'],
      {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }))
    const report = JSON.parse(result.stdout) as {
      totals: { errors: number }
      problems: { message: string; location: { pointer: string }[] }[]
    }
    const errors = report.problems.filter((p) => (p as { severity?: string }).severity === 'error')
    expect(errors.map((p) => `${p.location[0]?.pointer}: ${p.message}`)).toEqual([])
    expect(report.totals.errors).toBe(0)
  }, 60_000)
})
