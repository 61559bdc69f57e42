import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessageScope } from '../src/auth/message-scope.ts'
import { listMessages } from '../src/repositories/messages/list.ts'
import { getMessage } from '../src/repositories/messages/read.ts'
import { statistics } from '../src/repositories/statistics.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'
import { principalOf, scopeFor } from './support/scope.ts'

/**
 * Closed by default and a scope nobody but the auth code makes: a route that declares neither an operation nor
 * `public: true` stops the app, and repositories refuse any scope the auth code did not issue.
 */
const ENTERPRISE = '0406798006'
const MESSAGE_ID = '00000000-0000-4000-8000-000000000000'

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
})
afterAll(() => registry.close())

describe('closed by default', () => {
  it('refuses a route that declares neither an operation nor public: true', () => {
    expect(() => registry.app.get('/test/open', async () => ({ open: true }))).toThrow(
      /must declare exactly one of config.operation or config.public/,
    )
  })

  it('refuses a route that declares both', () => {
    expect(() =>
      registry.app.get('/test/both', { config: { operation: 'listMessages', public: true } }, async () => 1),
    ).toThrow(/exactly one/)
  })

  it('accepts a route that says it is public', async () => {
    registry.app.get('/test/public', { config: { public: true } }, async () => ({ open: true }))
    await registry.app.ready()
    expect((await registry.app.inject('/test/public')).json()).toEqual({ open: true })
  })
})

describe('message scope', () => {
  it('is frozen: a handler cannot widen it', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: ENTERPRISE }, ['GENERAL'])
    expect(Object.isFrozen(scope)).toBe(true)
    expect(Object.isFrozen(scope.ebox)).toBe(true)
    expect(Object.isFrozen(scope.partitions)).toBe(true)
    expect(() => {
      ;(scope as { partitions: unknown }).partitions = undefined
    }).toThrow(TypeError)
    expect(() => (scope.partitions as string[]).push('partitionB')).toThrow(TypeError)
    expect(() => {
      ;(scope.ebox as { id: string }).id = '0202239951'
    }).toThrow(TypeError)
    expect(scope.partitions).toEqual(['GENERAL'])
  })

  it('cannot be written by hand: the type refuses it, the repositories refuse it at run time', async () => {
    const forged = { ebox: { eboxType: 'enterprise', id: ENTERPRISE }, partitions: undefined } as const
    // @ts-expect-error A MessageScope carries a brand only src/auth/message-scope.ts can give.
    const typed: MessageScope = forged
    const page = { page: 1, pageSize: 10 }
    await expect(listMessages(registry.pool, typed, {}, page)).rejects.toThrow(/must come from the auth code/)
    await expect(getMessage(registry.pool, typed, MESSAGE_ID)).rejects.toThrow(/must come from the auth code/)
    await expect(statistics(registry.pool, typed)).rejects.toThrow(/must come from the auth code/)
  })

  it('a copy of an issued scope is not a scope either', async () => {
    const issued = await scopeFor({ eboxType: 'enterprise', id: ENTERPRISE }, ['GENERAL'])
    const widened = { ...issued, partitions: undefined } as MessageScope
    await expect(listMessages(registry.pool, widened, {}, { page: 1, pageSize: 1 })).rejects.toThrow(
      /must come from the auth code/,
    )
  })

  it('never gives a human user of an enterprise "all partitions"', async () => {
    const { resolveMessageScope } = await import('../src/auth/message-scope.ts')
    const user = principalOf({ eboxType: 'enterprise', id: ENTERPRISE }, '85073003328')
    const broken = {
      routingRules: async () => [],
      hasMandate: async () => false,
      userPartitions: async () => undefined as unknown as string[],
    }
    await expect(resolveMessageScope(user, undefined, broken)).rejects.toThrow(/needs the partitions/)
  })
})
