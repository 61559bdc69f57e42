/**
 * Prometheus reaches the metrics port of the registry and the worker: a NetworkPolicy that lets the monitoring
 * namespace in on that port only, and a ServiceMonitor (Prometheus Operator) over the Services' `metrics` port.
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { CustomObject } from './database.ts'
import type { Monitoring } from './database-config.ts'

export function monitoringObjects(
  m: Monitoring,
  c: {
    meta: (name: string) => { name: string; namespace: string; labels: Record<string, string> }
    appLabel: Record<string, string>
    metricsPort: number
  },
): { networkPolicy: INetworkPolicy; serviceMonitor: CustomObject } {
  const components = { key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] }
  const meta = c.meta('registry')
  return {
    networkPolicy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: c.meta('allow-metrics-scrape'),
      spec: {
        podSelector: { matchLabels: c.appLabel, matchExpressions: [components] },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': m.namespace } },
                podSelector: { matchLabels: m.podLabels },
              },
            ],
            ports: [{ protocol: 'TCP', port: c.metricsPort }],
          },
        ],
      },
    },
    serviceMonitor: {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { ...meta, labels: { ...meta.labels, ...m.serviceMonitorLabels } },
      spec: {
        selector: { matchLabels: c.appLabel, matchExpressions: [components] },
        namespaceSelector: { matchNames: [meta.namespace] },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
      },
    },
  }
}
