import { VARIABLES } from '@ebox/deployment'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DatabaseConfig, ImagePullSecrets, Monitoring } from './database-config.ts'
import { ObjectStorage, objectStorageProblems } from './object-storage.ts'

/** Pulumi project name: every config key is `ebox-registry:<key>`. */
export const project = 'ebox-registry'

const Https = Type.String({ pattern: '^https://\\S+$' })
const Cidr = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' })
const Cidrs = Type.Array(Cidr, { minItems: 1 })
const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' })
const Quantity = Type.String({ minLength: 1 })
const Replicas = Type.Integer({ minimum: 1, maximum: 50 })
/** A key of a Kubernetes Secret that already exists in the registry's namespace. */
const SecretRef = Type.Object(
  { name: DnsLabel, key: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
)
const strict = { additionalProperties: false } as const

/** Everything a stack file may set, except the two secrets (see `secretRefKeys`). */
export const StackConfig = Type.Object(
  {
    environment: Type.Union([Type.Literal('acceptation'), Type.Literal('production')]),
    namespace: DnsLabel,
    image: Type.String(),
    replicas: Replicas,
    workerReplicas: Replicas,
    autoscaling: Type.Object(
      {
        minReplicas: Replicas,
        maxReplicas: Replicas,
        cpuUtilization: Type.Integer({ minimum: 10, maximum: 100 }),
      },
      strict,
    ),
    resources: Type.Object(
      {
        requests: Type.Object({ cpu: Quantity, memory: Quantity }, strict),
        limits: Type.Object({ cpu: Quantity, memory: Quantity }, strict),
      },
      strict,
    ),
    ingress: Type.Object(
      {
        host: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
        tlsSecretName: DnsLabel,
        className: Type.String({ minLength: 1 }),
        /** Where the ingress controller runs: the only source allowed to reach the pods. */
        controllerNamespace: DnsLabel,
        controllerPodLabels: Type.Record(Type.String(), Type.String(), { minProperties: 1 }),
        /** e.g. `cert-manager.io/cluster-issuer`, so the TLS Secret is issued in the new namespace. */
        annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
      },
      strict,
    ),
    database: DatabaseConfig,
    imagePullSecrets: Type.Optional(ImagePullSecrets),
    monitoring: Type.Optional(Monitoring),
    databaseSecretRef: Type.Optional(SecretRef),
    oauthClientKeySecretRef: Type.Optional(SecretRef),
    oauth: Type.Object(
      {
        mode: Type.Union([Type.Literal('introspection'), Type.Literal('jwt')]),
        tokenUrl: Https,
        clientId: Type.String({ minLength: 1 }),
        introspectionUrl: Type.Optional(Https),
        issuer: Type.Optional(Type.String({ minLength: 1 })),
        audience: Type.Optional(Type.String({ minLength: 1 })),
        jwksUrl: Type.Optional(Https),
        cidrs: Cidrs,
      },
      strict,
    ),
    ees: Type.Object({ url: Https, cidrs: Cidrs }, strict),
    partitionService: Type.Object({ url: Https, cidrs: Cidrs }, strict),
    corsOrigins: Type.Array(Https, { minItems: 1 }),
    /**
     * Overrides of the federation profile (FEDERATION_* variables, docs/contract-decisions.md): the names the
     * federation confirms at go-live are set here, a configuration change. The service validates the values.
     */
    federationProfile: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^FEDERATION_[A-Z_]+$' }),
        Type.String({ minLength: 1, maxLength: 500 }),
      ),
    ),
    /** Allow `POST /certification/resetDataSet` (CERTIFICATION_RESET_ENABLED), for the test e-Boxes only. */
    certificationReset: Type.Optional(Type.Boolean()),
    /** The test e-Boxes a reset may rewrite (CERTIFICATION_TEST_EBOXES): enterprise numbers or SSINs. */
    certificationTestEboxes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9]{10,11}$' }), { minItems: 1, uniqueItems: true }),
    ),
    /** Attachment content in an S3-compatible bucket (src/object-storage.ts); absent: in PostgreSQL. */
    objectStorage: Type.Optional(ObjectStorage),
    logLevel: Type.Optional(
      Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => Type.Literal(level))),
    ),
  },
  strict,
)
export type StackConfig = Static<typeof StackConfig>

/**
 * The two secrets, by config key: each set with `pulumi config set --secret <key>`, or else named by its
 * reference key as a key of an existing Kubernetes Secret.
 */
export const secretRefKeys = {
  databaseUrl: 'databaseSecretRef',
  oauthClientKey: 'oauthClientKeySecretRef',
} as const
export type SecretName = keyof typeof secretRefKeys
export const secretNames = Object.keys(secretRefKeys) as SecretName[]

/** Where a pod reads a secret from; `managed` means the program writes it from a Pulumi secret. */
export interface SecretRef {
  name: string
  key: string
  managed: boolean
}

export interface Settings extends Omit<StackConfig, 'databaseSecretRef' | 'oauthClientKeySecretRef'> {
  stack: string
  logLevel: NonNullable<StackConfig['logLevel']>
  /** databaseUrl: the service's URL in external mode; a CloudNativePG stack wires its own (src/database.ts). */
  secrets: { databaseUrl?: SecretRef; oauthClientKey: SecretRef }
}

/** The Secret the program creates for values set as Pulumi secrets. */
export const managedSecretName = 'registry-secrets'
const managedKeys: Record<SecretName, string> = {
  databaseUrl: 'database-url',
  oauthClientKey: 'oauth-client-key',
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const digestRef = /^(?<repository>[a-z0-9][a-z0-9._\-/:]*)@sha256:[a-f0-9]{64}$/

/** Refuses anything but `repository@sha256:<digest>`: a tag can move, so ACC and PRD could run different builds. */
export function checkImage(image: string): string {
  const match = digestRef.exec(image)
  if (!match) {
    throw new ConfigError(
      `${project}:image must be pinned by digest as repository@sha256:<64 hex>, got "${image}". ` +
        'Tags are refused: they can move, so the stack would not say which build runs.',
    )
  }
  const lastSegment = match.groups!.repository!.split('/').at(-1)!
  if (lastSegment.includes(':')) {
    throw new ConfigError(`${project}:image must not carry a tag next to its digest: "${image}"`)
  }
  return image
}

/**
 * Validates a stack's config. `raw` holds the plain keys (without the `ebox-registry:` prefix);
 * `pulumiSecrets` says which secret keys were set with `pulumi config set --secret`.
 */
export function parseStackConfig(
  stack: string,
  raw: Record<string, unknown>,
  pulumiSecrets: Record<SecretName, boolean>,
): Settings {
  const errors = [...Value.Errors(StackConfig, raw)].map(
    (error) => `${project}:${error.path.slice(1).replaceAll('/', '.') || '(root)'}: ${error.message}`,
  )
  if (errors.length > 0) throw new ConfigError(`invalid config for stack ${stack}:\n  ${errors.join('\n  ')}`)
  const config = raw as StackConfig
  checkImage(config.image)

  const { minReplicas, maxReplicas } = config.autoscaling
  if (!(minReplicas <= config.replicas && config.replicas <= maxReplicas)) {
    throw new ConfigError(
      `${project}:replicas (${config.replicas}) must lie within autoscaling ${minReplicas}..${maxReplicas}`,
    )
  }
  for (const problem of objectStorageProblems(config.objectStorage)) {
    throw new ConfigError(`${project}:${problem}`)
  }
  for (const name of Object.keys(config.federationProfile ?? {})) {
    if (!(name in VARIABLES)) {
      throw new ConfigError(`${project}:federationProfile.${name} is not a variable of the service`)
    }
  }
  const oauth = config.oauth
  if (oauth.mode === 'introspection' && !oauth.introspectionUrl) {
    throw new ConfigError(`${project}:oauth.introspectionUrl is required in introspection mode`)
  }
  if (oauth.mode === 'jwt' && !(oauth.issuer && oauth.audience && oauth.jwksUrl)) {
    throw new ConfigError(`${project}:oauth.issuer, audience and jwksUrl are required in jwt mode`)
  }
  // The service itself refuses to start so in ACC/PRD (apps/registry/src/config/certification.ts): checked here first.
  if (config.certificationReset && !config.certificationTestEboxes?.length) {
    throw new ConfigError(
      `${project}:certificationReset needs certificationTestEboxes (the test e-Boxes it may reset)`,
    )
  }
  // The service refuses to start in ACC/PRD without them (issue 23, finding 4): checked here first.
  if (!(oauth.issuer && oauth.audience)) {
    throw new ConfigError(`${project}:oauth.issuer and oauth.audience are required in every mode`)
  }

  const secretRef = (name: SecretName): SecretRef => {
    const refKey = secretRefKeys[name]
    const existing = config[refKey]
    if (pulumiSecrets[name] && existing) {
      throw new ConfigError(`set either ${project}:${name} or ${project}:${refKey}, not both`)
    }
    if (pulumiSecrets[name]) return { name: managedSecretName, key: managedKeys[name], managed: true }
    if (existing) return { ...existing, managed: false }
    throw new ConfigError(
      `missing ${project}:${name}: set it with \`pulumi config set --secret ${name}\`, ` +
        `or point ${project}:${refKey} at an existing Kubernetes Secret`,
    )
  }

  const { databaseSecretRef: _db, oauthClientKeySecretRef: _key, ...rest } = config
  return {
    ...rest,
    stack,
    logLevel: config.logLevel ?? 'info',
    secrets: {
      ...(config.database.mode === 'external' ? { databaseUrl: secretRef('databaseUrl') } : {}),
      oauthClientKey: secretRef('oauthClientKey'),
    },
  }
}

/** Pulumi hands every value over as a string; structured values and numbers arrive as JSON. */
export function fromPulumiString(value: unknown): unknown {
  const text = String(value)
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Splits a flat `ebox-registry:<key>` map into plain keys and the secret keys found.
 * `decode` turns a stored value into its config value; it returns `secret` for an encrypted one.
 */
export function splitStackConfig(
  entries: Record<string, unknown>,
  decode: (key: string, value: unknown) => { secret: boolean; value: unknown },
): { raw: Record<string, unknown>; pulumiSecrets: Record<SecretName, boolean> } {
  const raw: Record<string, unknown> = {}
  const pulumiSecrets: Record<SecretName, boolean> = { databaseUrl: false, oauthClientKey: false }
  for (const [fullKey, stored] of Object.entries(entries)) {
    if (!fullKey.startsWith(`${project}:`)) continue
    const key = fullKey.slice(project.length + 1)
    const { secret, value } = decode(fullKey, stored)
    if (key in pulumiSecrets) {
      if (!secret) {
        throw new ConfigError(
          `${fullKey} is stored in plain text: remove it and run \`pulumi config set --secret ${key}\``,
        )
      }
      pulumiSecrets[key as SecretName] = true
    } else if (secret) {
      throw new ConfigError(`${fullKey} is not a secret setting; store it in plain config`)
    } else {
      raw[key] = value
    }
  }
  return { raw, pulumiSecrets }
}

/**
 * Values that are still placeholders: documentation address ranges (RFC 5737), `.example` hosts and
 * the all-zero digest.
 * The program warns about them, so a preview shows what to fill in before the first `up`.
 */
export function placeholders(settings: Settings): string[] {
  const db = settings.database
  const cidrs = {
    ...(db.mode === 'external' && 'cidrs' in db.egress ? { 'database.egress.cidrs': db.egress.cidrs } : {}),
    ...(db.mode === 'cloudnative-pg'
      ? { 'database.apiServer.cidrs': db.apiServer.cidrs, 'database.backup.cidrs': db.backup.cidrs }
      : {}),
    'oauth.cidrs': settings.oauth.cidrs,
    'ees.cidrs': settings.ees.cidrs,
    'partitionService.cidrs': settings.partitionService.cidrs,
    ...(settings.objectStorage && { 'objectStorage.cidrs': settings.objectStorage.cidrs }),
  }
  const found = Object.entries(cidrs)
    .filter(([, list]) => list.some((cidr) => /^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(cidr)))
    .map(([key]) => `${project}:${key}`)
  if (settings.ingress.host.endsWith('.example')) found.push(`${project}:ingress.host`)
  if (/@sha256:0{64}$/.test(settings.image)) found.push(`${project}:image`)
  if (db.mode === 'cloudnative-pg' && /@sha256:0{64}$/.test(db.imageName))
    found.push(`${project}:database.imageName`)
  if (db.mode === 'external' && db.host.endsWith('.example')) found.push(`${project}:database.host`)
  if (db.mode === 'cloudnative-pg' && db.backup.endpointURL?.includes('.example'))
    found.push(`${project}:database.backup.endpointURL`)
  return found
}
