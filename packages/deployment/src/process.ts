/**
 * What the registry image offers its orchestrator. apps/registry serves these and infra/ deploys against them;
 * both import them from here, and the registry's tests check that the service really answers on them.
 */

/** One image, four processes: `registry <command>` (`content` is the operator's content-store migration). */
export const COMMANDS = { serve: 'serve', worker: 'worker', migrate: 'migrate', content: 'content' } as const
export type Command = keyof typeof COMMANDS

/** Default ports (PORT and METRICS_PORT change them): the API or the worker's probes, and Prometheus. */
export const DEFAULT_PORTS = { http: 8080, metrics: 9464 } as const

/** Probe routes, on PORT, for `serve` and `worker`: live = the process answers; ready = it can work. */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const

/** Prometheus metrics, on METRICS_PORT. */
export const METRICS_PATH = '/metrics'

/** Default of SHUTDOWN_GRACE_MS: how long in-flight work may take after SIGTERM. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000
