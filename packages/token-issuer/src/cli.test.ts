import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { SCOPES } from '@ebox/contract'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, runCli } from './cli.ts'
import { createClientCredentials } from './client-credentials.ts'
import { CBE_ATTRIBUTE, SSIN_ATTRIBUTE } from './constants.ts'
import { startTokenIssuer, type TokenIssuer } from './issuer.ts'

const BIN = fileURLToPath(new URL('../bin/ebox-token-issuer.mjs', import.meta.url))

function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout: (text: string) => {
      io.out += text
    },
    stderr: (text: string) => {
      io.err += text
    },
  }
  return io
}

describe('CLI mint (in process, against a running issuer)', () => {
  let issuer: TokenIssuer

  beforeAll(async () => {
    issuer = await startTokenIssuer()
  })
  afterAll(async () => {
    await issuer.close()
  })

  it('prints one token with the requested claims', async () => {
    const io = captureIo({ EBOX_TOKEN_ISSUER_URL: issuer.url })
    const code = await runCli(
      [
        'mint',
        '--scope',
        SCOPES.documentConsumer,
        '--scope',
        `${SCOPES.referenceData} x`,
        '--cbe',
        '0123456789',
      ],
      io,
    )
    expect({ code, err: io.err }).toEqual({ code: 0, err: '' })
    expect(io.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(issuer.introspect(io.out.trim())).toMatchObject({
      active: true,
      scope: `${SCOPES.documentConsumer} ${SCOPES.referenceData} x`,
      principalAttributes: { [CBE_ATTRIBUTE]: ['0123456789'] },
    })
  })

  it('passes the citizen, client, lifetime and extra options through', async () => {
    const io = captureIo()
    const code = await runCli(
      [
        'mint',
        '--url',
        issuer.url,
        '--scope',
        's',
        '--ssin',
        '79072300048',
        '--client-id',
        'portal',
        '--expires-in',
        '90',
        '--audience',
        'aud-x',
        '--extra',
        '{"acr":"eid"}',
      ],
      io,
    )
    expect(code).toBe(0)
    const { payload } = await jwtVerify(io.out.trim(), createRemoteJWKSet(new URL(issuer.jwksUrl)), {
      audience: 'aud-x',
    })
    expect(payload).toMatchObject({
      sub: '79072300048',
      client_id: 'portal',
      acr: 'eid',
      principalAttributes: { [SSIN_ATTRIBUTE]: ['79072300048'] },
    })
    expect(payload.exp! - payload.iat!).toBe(90)
  })

  it('exits 1 with one line when no issuer answers', async () => {
    const io = captureIo()
    const closed = await startTokenIssuer()
    await closed.close()
    expect(await runCli(['mint', '--url', closed.url, '--scope', 's'], io)).toBe(1)
    expect(io.err).toMatch(/^ebox-token-issuer: no token issuer reachable at http:\/\/127\.0\.0\.1:\d+.*\n$/)
  })

  it('exits 2 with the usage on bad arguments', async () => {
    for (const argv of [['mint', '--bogus'], ['frobnicate'], ['mint', '--expires-in', 'soon']]) {
      const io = captureIo()
      expect(await runCli(argv, io)).toBe(2)
      expect(io.err).toContain('Usage:')
    }
  })

  it('prints the usage for --help', async () => {
    const io = captureIo()
    expect(await runCli(['mint', '--help'], io)).toBe(0)
    expect(io.out).toContain('ebox-token-issuer mint')
  })

  it('refuses NODE_ENV=production with one clear line', async () => {
    const io = captureIo({ NODE_ENV: 'production', EBOX_TOKEN_ISSUER_URL: issuer.url })
    expect(await runCli(['mint', '--scope', 's'], io)).toBe(1)
    expect(io.out).toBe('')
    expect(io.err).toBe(
      'ebox-token-issuer: ebox-token-issuer is a development stand-in for the federation OAuth server and refuses to run with NODE_ENV=production\n',
    )
  })
})

describe('dev endpoints', () => {
  let issuer: TokenIssuer

  beforeAll(async () => {
    issuer = await startTokenIssuer()
  })
  afterAll(async () => {
    await issuer.close()
  })

  const send = (path: string, body: unknown, method = 'POST') =>
    fetch(`${issuer.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('registers a client, revokes a token and switches the introspection behaviour', async () => {
    const client = await createClientCredentials('remote')
    expect(
      (await send('/dev/clients', { clientId: 'remote', jwk: client.publicJwk, scopes: ['s'] })).status,
    ).toBe(204)
    expect((await send('/dev/clients', { clientId: 'remote', jwk: { kty: 'RSA', d: 'x' } })).status).toBe(400)

    const token = await issuer.mint({ scopes: ['s'] })
    expect(await (await send('/dev/revoke', { token })).json()).toEqual({ revoked: true })
    expect(issuer.introspect(token)).toEqual({ active: false })

    expect((await send('/dev/introspection-behaviour', { behaviour: 'error' }, 'PUT')).status).toBe(204)
    expect((await fetch(issuer.introspectionUrl, { method: 'POST' })).status).toBe(500)
    expect((await send('/dev/introspection-behaviour', { behaviour: 'nope' }, 'PUT')).status).toBe(400)
    expect((await send('/dev/mint', { scopes: 42 })).status).toBe(400)
  })

  it('are absent with devEndpoints: false', async () => {
    const quiet = await startTokenIssuer({ devEndpoints: false })
    try {
      const response = await fetch(`${quiet.url}/dev/mint`, { method: 'POST', body: '{"scopes":["s"]}' })
      expect(response.status).toBe(404)
    } finally {
      await quiet.close()
    }
  })
})

describe('the ebox-token-issuer bin (child process)', () => {
  function run(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NODE_ENV: 'development', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    return { child, output: () => ({ out, err }) }
  }

  async function exitOf(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null) return child.exitCode
    const [code] = await once(child, 'exit')
    return code as number | null
  }

  it('serves, mints through a second invocation, and stops on SIGTERM', async () => {
    const server = run(['serve', '--port', '0'])
    try {
      const [line] = (await once(server.child.stdout!, 'data')) as [Buffer]
      const info = JSON.parse(line.toString()) as { url: string; jwksUrl: string; tokenUrl: string }
      expect(info.tokenUrl).toBe(`${info.url}/token`)

      const minter = run([
        'mint',
        '--url',
        info.url,
        '--scope',
        SCOPES.documentConsumer,
        '--cbe',
        '0123456789',
      ])
      expect(await exitOf(minter.child)).toBe(0)
      const { payload } = await jwtVerify(
        minter.output().out.trim(),
        createRemoteJWKSet(new URL(info.jwksUrl)),
      )
      expect(payload.principalAttributes).toEqual({ [CBE_ATTRIBUTE]: ['0123456789'] })
    } finally {
      server.child.kill('SIGTERM')
    }
    expect(await exitOf(server.child)).toBe(0)
  })

  it('exits non-zero with one line under NODE_ENV=production', async () => {
    const refused = run(['serve', '--port', '0'], { NODE_ENV: 'production' })
    expect(await exitOf(refused.child)).toBe(1)
    const { out, err } = refused.output()
    expect(out).toBe('')
    expect(err.trim().split('\n')).toEqual([
      expect.stringMatching(/^ebox-token-issuer: .*NODE_ENV=production$/),
    ])
  })
})
