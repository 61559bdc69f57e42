import type { BenchSummary, ScenarioFigures } from '@ebox/capacity'
import type { BenchReport } from './run.ts'

const MiB = 1024 * 1024

/**
 * The figures of a run that the capacity model reads (`bench/summaries/<time>.json`, committed): per scenario and
 * OAuth mode the rate, latencies, CPU per request, RSS and WAL per request, the ceilings, and the table sizes.
 */
export function summarise(report: BenchReport, command: string, scope: BenchSummary['scope']): BenchSummary {
  return {
    format: 1,
    startedAt: report.startedAt,
    scope,
    command,
    source: 'Written by the harness (bench/src/main.ts) at the end of the run.',
    machine: report.machine,
    dataset: {
      messages: report.dataset.spec.messages,
      eboxes: report.dataset.spec.eboxes,
      bigEboxMessages: report.dataset.spec.bigEboxMessages,
    },
    // A measurement that answered no request has no figures (its latencies are NaN): left out, and a scenario
    // without any measurement with it.
    scenarios: report.results.flatMap((result): ScenarioFigures[] => {
      const measured = result.service.filter((service) => service.requests > 0)
      if (measured.length === 0) return []
      return [
        {
          id: result.id,
          title: result.title,
          connections: result.connections,
          ...(result.overallRate !== undefined ? { fixedRatePerSecond: result.overallRate } : {}),
          modes: measured.map((service) => ({
            mode: service.mode,
            requestsPerSecond: service.requestsPerSecond,
            p50Ms: service.latencyMs.p50,
            p95Ms: service.latencyMs.p95,
            p99Ms: service.latencyMs.p99,
            errors: service.errors,
            serviceCpuMsPerRequest: service.serviceCpuMsPerRequest,
            postgresCpuMsPerRequest: service.postgresCpuMsPerRequest,
            peakRssMiB: service.peakRssBytes / MiB,
            rssGrowthMiB: Math.max(0, service.peakRssBytes - service.rssBeforeBytes) / MiB,
            walBytesPerRequest: service.walBytesPerRequest,
          })),
          ...(result.overallRate === undefined && result.framework
            ? { frameworkCeilingPerSecond: result.framework.requestsPerSecond }
            : {}),
          ...(result.overallRate === undefined && result.database
            ? {
                databaseCeilingPerSecond: result.database.requestsPerSecond,
                statementsPerRequest: result.database.statementsPerRequest,
              }
            : {}),
          ...(result.file ? { fileCeilingPerSecond: result.file.requestsPerSecond } : {}),
        },
      ]
    }),
    ...(report.storage ? { storage: report.storage } : {}),
  }
}
