import type pg from 'pg'

/**
 * Named statements for the hot read paths: PostgreSQL parses and plans a named statement once per connection
 * instead of on every call. With the many indexes on `messages`, planning the list query costs as much as running
 * it (BENCHMARKS.md, "List, page 1").
 *
 * Only for statements whose text comes from a bounded set of fragments (values always as parameters): every
 * distinct text keeps its name, and its prepared statement on each connection, for the life of the process.
 */
const names = new Map<string, string>()

export function prepared(text: string, values: unknown[] = []): pg.QueryConfig {
  let name = names.get(text)
  if (name === undefined) {
    name = `registry_${names.size + 1}`
    names.set(text, name)
  }
  return { name, text, values }
}
