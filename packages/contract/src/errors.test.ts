import { describe, expect, it } from 'vitest'
import { codeForStatus, ERRORS, RegistryError, toStatusMessage } from './errors.ts'

describe('error table', () => {
  it('gives every code a 4xx or 5xx status and a message', () => {
    for (const [code, row] of Object.entries(ERRORS)) {
      expect(row.status, code).toBeGreaterThanOrEqual(400)
      expect(row.status, code).toBeLessThan(600)
      expect(row.message.length, code).toBeGreaterThan(0)
    }
  })

  it('builds the StatusMessage body from a row', () => {
    expect(toStatusMessage('id-1', 'NOT_FOUND', 'test')).toEqual({
      id: 'id-1',
      code: 'NOT_FOUND',
      message: ERRORS.NOT_FOUND.message,
      environment: 'test',
    })
  })

  it('keeps a precise message and the status of its code', () => {
    const error = new RegistryError('INVALID_INPUT', 'q requires qlang')
    expect(error.status).toBe(400)
    expect(error.message).toBe('q requires qlang')
  })

  it('maps framework statuses to table codes, unknown 5xx to INTERNAL_ERROR', () => {
    expect(codeForStatus(404)).toBe('NOT_FOUND')
    expect(codeForStatus(413)).toBe('PAYLOAD_TOO_LARGE')
    expect(codeForStatus(502)).toBe('INTERNAL_ERROR')
    expect(codeForStatus(418)).toBe('INVALID_INPUT')
  })
})
