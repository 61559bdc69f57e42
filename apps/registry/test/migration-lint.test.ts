import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { lintMigrations, migrationFiles, readLintConfig, squawkFindings } from '../lint-migrations.ts'
import { NO_TRANSACTION_MARKER } from '../src/db/migrate.ts'

/** squawk over every migration, as `.ci/run` runs it (pnpm --filter @ebox/registry lint:migrations). */
const dir = mkdtempSync(join(tmpdir(), 'squawk-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const write = (name: string, sql: string) => {
  writeFileSync(join(dir, name), sql)
  return join(dir, name)
}

describe('the migrations', () => {
  it('have no finding that migration-lint.json does not allow', () => {
    expect(lintMigrations(migrationFiles())).toEqual([])
  })

  it('use every exception listed (none is left once its reason is gone)', () => {
    const config = readLintConfig()
    const found = migrationFiles().flatMap((path) => squawkFindings(path, config.pgVersion))
    for (const entry of config.allowed) {
      for (const rule of entry.rules) {
        expect(
          found.some((f) => f.file === entry.file && f.rule === rule),
          `${entry.file} ${rule}`,
        ).toBe(true)
      }
    }
  })
})

describe('the linter', () => {
  it('refuses a plain CREATE INDEX on an existing table and a column added with a volatile default', () => {
    const path = write(
      '0100_unsafe.sql',
      '-- Up Migration\nCREATE INDEX messages_by_subject ON messages (subject);\n' +
        'ALTER TABLE messages ADD COLUMN token uuid DEFAULT gen_random_uuid();\n',
    )
    expect(lintMigrations([path]).map((f) => f.rule)).toEqual(
      expect.arrayContaining(['require-concurrent-index-creation', 'adding-field-with-default']),
    )
  })

  it('refuses CREATE INDEX CONCURRENTLY in a transactional file (it would fail at run time)', () => {
    const path = write(
      '0101_in_tx.sql',
      '-- Up Migration\nCREATE INDEX CONCURRENTLY m ON messages (subject);\n',
    )
    expect(lintMigrations([path]).map((f) => f.rule)).toContain('concurrently-in-transaction')
  })

  it('accepts the concurrent build in a non-transactional file, and ignores the down part', () => {
    const path = write(
      '0102_concurrent.sql',
      `${NO_TRANSACTION_MARKER}\n-- Up Migration\nDROP INDEX CONCURRENTLY IF EXISTS m;\n` +
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS m ON messages (subject);\n-- Down Migration\nDROP TABLE messages;\n',
    )
    expect(lintMigrations([path])).toEqual([])
  })

  it('takes an inline squawk-ignore only with its reason on the comment line above', () => {
    const body = (above: string) =>
      `${NO_TRANSACTION_MARKER}\n-- Up Migration\n${above}-- squawk-ignore prefer-robust-stmts\n` +
      'ALTER TABLE messages VALIDATE CONSTRAINT c;\n'
    expect(lintMigrations([write('0103_bare.sql', body(''))]).map((f) => f.rule)).toEqual([
      'unexplained-ignore',
    ])
    expect(lintMigrations([write('0104_explained.sql', body('-- A no-op when valid already.\n'))])).toEqual(
      [],
    )
  })
})
