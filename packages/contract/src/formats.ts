import { FormatRegistry } from '@sinclair/typebox/type'

/**
 * The string formats the contract's schemas use, for TypeBox's own validators (`Value`, `TypeCompiler`), which
 * know none by default (Fastify's Ajv has its own). Idempotent: call it before compiling a validator.
 */
export function registerContractFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set(
      'date-time',
      (value) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value) &&
        !Number.isNaN(Date.parse(value)),
    )
  }
  if (!FormatRegistry.Has('date')) {
    FormatRegistry.Set(
      'date',
      (value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)),
    )
  }
  if (!FormatRegistry.Has('uuid')) {
    FormatRegistry.Set('uuid', (value) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
    )
  }
}
