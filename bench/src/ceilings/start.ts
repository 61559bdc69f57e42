import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { repositoryRoot } from '../database.ts'
import { bundleEntry } from '../service/bundle.ts'
import { fromSource, type MeasuredProcess, stopChild } from '../service/registry-process.ts'

/**
 * Starts a ceiling server (a TypeScript entry of this package) and waits for the port it prints. Like the service,
 * it runs as plain JavaScript against the built packages (through tsx only with BENCH_FROM_SOURCE=1).
 */
async function startPrintingPort(entry: string, args: string[], logFile: string): Promise<MeasuredProcess> {
  const source = join('bench/src/ceilings', entry)
  const script = fromSource
    ? ['--conditions=source', '--import', 'tsx', join(repositoryRoot, source)]
    : [await bundleEntry(source)]
  const child: ChildProcess = spawn(process.execPath, [...script, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr?.pipe(createWriteStream(logFile, { flags: 'a' }))
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start; see ${logFile}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}; see ${logFile}`)))
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
  return { pid: child.pid!, url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) }
}

export function startFrameworkCeiling(routesFile: string, logDir: string) {
  return startPrintingPort('framework-server.ts', [routesFile], join(logDir, 'framework-ceiling.log'))
}

export function startFileCeiling(dir: string, logDir: string) {
  return startPrintingPort('file-server.ts', [dir], join(logDir, 'file-ceiling.log'))
}
