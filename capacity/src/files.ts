import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parse } from 'yaml'
import { BenchSummary, Platform, Workload } from './schema.ts'

export const repositoryRoot = new URL('../../', import.meta.url).pathname
export const summariesDir = join(repositoryRoot, 'bench', 'summaries')
export const capacityDir = join(repositoryRoot, 'capacity')

export class InvalidFile extends Error {
  override name = 'InvalidFile'
}

/** Parses and validates a file against its schema; every problem is listed with its path. */
export function validated<T extends TSchema>(schema: T, value: unknown, file: string): Static<T> {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path || '/'}: ${e.message}`)
  if (errors.length > 0) throw new InvalidFile(`${file}:\n  ${errors.join('\n  ')}`)
  return value as Static<T>
}

export function readWorkload(nameOrPath: string): Workload {
  const file = nameOrPath.endsWith('.yaml')
    ? nameOrPath
    : join(capacityDir, 'workloads', `${nameOrPath}.yaml`)
  const workload = validated(Workload, parse(readFileSync(file, 'utf8')), file)
  const shares = workload.publication.attachmentSizes.reduce((sum, b) => sum + b.share, 0)
  if (Math.abs(shares - 1) > 1e-6) {
    throw new InvalidFile(`${file}: publication.attachmentSizes shares sum to ${shares}, not 1`)
  }
  return workload
}

/** A platform by name (`capacity/platforms/<name>.yaml`) or by file path. */
export function readPlatform(nameOrPath: string): Platform {
  const file = nameOrPath.endsWith('.yaml')
    ? nameOrPath
    : join(capacityDir, 'platforms', `${nameOrPath}.yaml`)
  return validated(Platform, parse(readFileSync(file, 'utf8')), file)
}

export function workloadNames(): string[] {
  return readdirSync(join(capacityDir, 'workloads'))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort()
}

/** Every committed benchmark summary, newest first (by the time its run started). */
export function readSummaries(dir = summariesDir): BenchSummary[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => validated(BenchSummary, JSON.parse(readFileSync(join(dir, name), 'utf8')), name))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
}

/** The run CPU figures come from (newest full run) and the run storage figures come from (newest with sizes). */
export function latestRuns(summaries: BenchSummary[]): { cpuRun: BenchSummary; storageRun: BenchSummary } {
  const cpuRun = summaries.find((s) => s.scope === 'full')
  const storageRun = summaries.find((s) => s.storage !== undefined)
  if (!cpuRun) throw new InvalidFile(`no full benchmark run in ${summariesDir}`)
  if (!storageRun) throw new InvalidFile(`no benchmark run with table sizes in ${summariesDir}`)
  return { cpuRun, storageRun }
}
