/**
 * `pnpm --filter @ebox/bench profile-top <file.cpuprofile> [n]`: the top frames of a V8 CPU profile (as written by
 * `BENCH_REGISTRY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR"`), by self time, and the self time per module
 * (a package, a file of the registry, or the VM). Idle samples are left out: shares are of busy time.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
}

const [file, count] = process.argv.slice(2)
if (!file) {
  console.error('usage: profile-top <file.cpuprofile> [n]')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(count ?? 20)

/** The package of a node_modules path, the workspace file of ours, or the VM for frames without a file. */
function moduleOf(url: string): string {
  if (!url) return '(VM: GC, native, program)'
  const pkg = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  if (pkg?.[1]) return pkg[1]
  if (url.startsWith('node:')) return url.split('/')[0] ?? url
  const ours = url.match(/(?:apps|packages)\/[^/]+\/(?:dist|src)\/.*/)
  return ours ? ours[0].replace('/dist/', '/') : url
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const samples = new Map<number, number>()
for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1)
const byFrame = new Map<string, number>()
const byModule = new Map<string, number>()
let busy = 0
for (const [id, n] of samples) {
  const frame = byId.get(id)?.callFrame
  if (!frame || frame.functionName === '(idle)') continue
  busy += n
  const module = moduleOf(frame.url)
  const key = `${frame.functionName || '(anonymous)'} — ${module}:${frame.lineNumber + 1}`
  byFrame.set(key, (byFrame.get(key) ?? 0) + n)
  byModule.set(module, (byModule.get(module) ?? 0) + n)
}
const share = (n: number) => `${((100 * n) / busy).toFixed(1)} %`.padStart(7)
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
console.log(`${file}: ${busy} busy samples`)
console.log('self time by frame:')
for (const [key, n] of sorted(byFrame)) console.log(`${share(n)}  ${key}`)
console.log('self time by module:')
for (const [key, n] of sorted(byModule)) console.log(`${share(n)}  ${key}`)
