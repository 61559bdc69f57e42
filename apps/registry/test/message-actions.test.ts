import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

/** Message actions (issue 18): PATCH /ebox/messages/{messageId}/messageAction, the message's fields, statistics. */

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const M = DEMO.messages
const OFFSET_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/

function execute(
  messageId: string,
  headers: Record<string, string> = registry.main,
  payload: unknown = { isExecuted: true },
  contentType = 'application/merge-patch+json',
) {
  return registry.app.inject({
    method: 'PATCH',
    url: `/ebox/messages/${messageId}/messageAction`,
    headers: { ...headers, 'content-type': contentType },
    payload: JSON.stringify(payload),
  })
}

const actionRequired = async () => (await registry.get('/ebox/statistics')).json().actionRequiredMessages

async function auditedActions() {
  const { rows } = await registry.pool.query<{ status: number; details: Record<string, unknown> }>(
    `SELECT status, details FROM audit_records WHERE method = 'PATCH' AND url LIKE '%/messageAction' ORDER BY seq`,
  )
  return rows
}

describe('a message asking for an action', () => {
  it('carries messageAction on detail and list, pending, with the due date the sender gave', async () => {
    const detail = (await registry.get(`/ebox/messages/${M.forAction}`)).json()
    expect(detail.messageAction).toEqual({ dueDate: '2030-06-30', isExecuted: false })
    const list = (await registry.get('/ebox/messages?pageSize=100')).json()
    const listed = list.items.find((m: { messageId: string }) => m.messageId === M.forAction)
    expect(listed.messageAction).toEqual(detail.messageAction)
    // The standardized business data stay in the business data as given.
    expect(detail.businessDataList.items.map((b: { key: string }) => b.key)).toEqual([
      'FOR_ACTION',
      'FOR_ACTION_DUE_DATE',
    ])
    // Other messages ask for nothing: no property at all (no nulls).
    const other = (await registry.get(`/ebox/messages/${M.mainPdf}`)).json()
    expect(other).not.toHaveProperty('messageAction')
  })

  it('is counted in the statistics of its partition until the action is executed', async () => {
    const stats = (await registry.get('/ebox/statistics')).json()
    expect(stats.actionRequiredMessages).toBe(1)
    const general = stats.partitions.find((p: { partitionId: string }) => p.partitionId === 'GENERAL')
    expect(general.actionRequiredMessages).toBe(1)
  })
})

describe('PATCH /ebox/messages/{messageId}/messageAction', () => {
  it('refuses, before anything changes: no token, no consultation scope, another e-Box, a wrong body', async () => {
    expect((await execute(M.forAction, {})).statusCode).toBe(401)
    const refdata = await registry.token({ scopes: [SCOPES.referenceData] })
    expect((await execute(M.forAction, { authorization: `Bearer ${refdata}` })).statusCode).toBe(403)
    // Another e-Box and a citizen e-Box: the message does not exist for them.
    for (const headers of [registry.second, registry.citizen]) {
      const response = await execute(M.forAction, headers)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
    }
    for (const payload of [{ isExecuted: false }, {}, { isExecuted: 'true' }, { isExecuted: null }, []]) {
      const response = await execute(M.forAction, registry.main, payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ code: 'INVALID_INPUT' })
    }
    expect((await execute(M.forAction, registry.main, { isExecuted: true }, 'text/plain')).statusCode).toBe(
      415,
    )
    expect((await registry.get(`/ebox/messages/${M.forAction}`)).json().messageAction.isExecuted).toBe(false)
    expect(await actionRequired()).toBe(1)
    expect(await auditedActions()).toEqual([])
  })

  it('404 for a message that asks for no action, an unknown id and a malformed id', async () => {
    for (const id of [M.mainPdf, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const response = await execute(id)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
    }
  })

  it('marks the action executed once: idempotent, counted out of the statistics, audited', async () => {
    const first = await execute(M.forAction)
    expect(first.statusCode).toBe(200)
    const action = first.json()
    expect(action).toEqual({ dueDate: '2030-06-30', isExecuted: true, executionDate: expect.any(String) })
    expect(action.executionDate).toMatch(OFFSET_DATE_TIME)
    // Plain JSON is accepted too; a repeat answers the same action, the first execution date kept.
    const again = await execute(M.forAction, registry.main, { isExecuted: true }, 'application/json')
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(action)
    expect((await registry.get(`/ebox/messages/${M.forAction}`)).json().messageAction).toEqual(action)
    expect(await actionRequired()).toBe(0)
    // Executing an action neither reads the message nor changes anything else.
    expect((await registry.get(`/ebox/messages/${M.forAction}`)).json().readStatus).toBe(false)
    expect(await auditedActions()).toEqual([
      { status: 200, details: { messageId: M.forAction, changes: { isExecuted: true }, changed: true } },
      { status: 200, details: { messageId: M.forAction, changes: { isExecuted: true }, changed: false } },
    ])
  })

  it('two concurrent calls: one execution, one date', async () => {
    await registry.pool.query('UPDATE messages SET action_executed_at = NULL WHERE message_id = $1', [
      M.forAction,
    ])
    const answers = await Promise.all([execute(M.forAction), execute(M.forAction)])
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200])
    expect(answers[0]!.json()).toEqual(answers[1]!.json())
  })

  it('a person without the message partition gets 404; with it, the action is theirs to execute', async () => {
    await registry.pool.query('UPDATE messages SET action_executed_at = NULL WHERE message_id = $1', [
      M.forAction,
    ])
    const headers = async (person: string, partitions: string[]) => {
      registry.partitions.setUserPartitions(DEMO.enterprise, person, partitions)
      const token = await registry.token({ scopes: [SCOPES.documentConsumer], sub: person })
      return { authorization: `Bearer ${token}` }
    }
    expect((await execute(M.forAction, await headers('85073003328', [DEMO.partitions.b]))).statusCode).toBe(
      404,
    )
    expect(await actionRequired()).toBe(1)
    const response = await execute(M.forAction, await headers('90022500186', [DEMO.partitions.general]))
    expect(response.statusCode).toBe(200)
    expect(response.json().isExecuted).toBe(true)
  })

  it('is not in the list of unimplemented operations any more (no 501)', async () => {
    const response = await execute(M.forAction)
    expect(response.statusCode).not.toBe(501)
  })
})
