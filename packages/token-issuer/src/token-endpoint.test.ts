import { SCOPES } from '@ebox/contract'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildClientAssertion,
  type ClientCredentials,
  createClientCredentials,
} from './client-credentials.ts'
import { CBE_ATTRIBUTE, CLIENT_ASSERTION_TYPE, INTROSPECT_SCOPE } from './constants.ts'
import { startTokenIssuer, type TokenIssuer } from './issuer.ts'
import { postForm } from './test-support.ts'

describe('POST /token (client_credentials + private_key_jwt)', () => {
  let issuer: TokenIssuer
  let client: ClientCredentials
  const allowed = [SCOPES.documentConsumer, SCOPES.referenceData, INTROSPECT_SCOPE]

  beforeAll(async () => {
    issuer = await startTokenIssuer()
    client = await createClientCredentials('dp-client')
    await issuer.registerClient(client.clientId, client.publicJwk, { scopes: allowed, cbe: '0123456789' })
  })
  afterAll(async () => {
    await issuer.close()
  })

  async function requestToken(fields: Record<string, string> = {}, assertion?: string) {
    return postForm(issuer.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion:
        assertion ?? (await buildClientAssertion(client.clientId, client.privateKey, issuer.tokenUrl)),
      ...fields,
    })
  }

  it('grants all allowed scopes by default, as a Bearer JWT that verifies against the JWKS', async () => {
    const answer = await requestToken()
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: allowed.join(' '),
    })
    const { payload } = await jwtVerify(
      String(answer.body.access_token),
      createRemoteJWKSet(new URL(issuer.jwksUrl)),
      {
        typ: 'at+jwt',
        issuer: issuer.issuer,
        audience: issuer.audience,
      },
    )
    expect(payload).toMatchObject({
      client_id: 'dp-client',
      sub: 'dp-client',
      scope: allowed.join(' '),
      principalAttributes: { [CBE_ATTRIBUTE]: ['0123456789'] },
    })
  })

  it('grants requested ∩ allowed scopes', async () => {
    const answer = await requestToken({ scope: `${SCOPES.referenceData} ${SCOPES.publicationSender}` })
    expect(answer.status).toBe(200)
    expect(answer.body.scope).toBe(SCOPES.referenceData)
  })

  it('answers invalid_scope when nothing requested is allowed', async () => {
    const answer = await requestToken({ scope: SCOPES.publicationSender })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_scope')
  })

  it('answers invalid_scope for a client with no allowed scopes', async () => {
    const bare = await createClientCredentials('bare-client')
    await issuer.registerClient(bare.clientId, bare.publicJwk)
    const answer = await requestToken(
      {},
      await buildClientAssertion(bare.clientId, bare.privateKey, issuer.tokenUrl),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_scope')
  })

  it('rejects an unsupported grant type', async () => {
    const answer = await requestToken({ grant_type: 'password' })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('unsupported_grant_type')
  })

  it('rejects a missing grant type as invalid_request', async () => {
    const answer = await postForm(issuer.tokenUrl, {})
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
  })

  it('rejects an unknown client', async () => {
    const stranger = await createClientCredentials('stranger')
    const answer = await requestToken(
      {},
      await buildClientAssertion(stranger.clientId, stranger.privateKey, issuer.tokenUrl),
    )
    expect(answer.status).toBe(401)
    expect(answer.body).toMatchObject({ error: 'invalid_client', error_description: 'unknown client' })
  })

  it('rejects an assertion signed by another key (bad signature)', async () => {
    const impostor = await createClientCredentials('dp-client')
    const answer = await requestToken(
      {},
      await buildClientAssertion('dp-client', impostor.privateKey, issuer.tokenUrl),
    )
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.body.error_description).toMatch(/signature/)
  })

  it('rejects a wrong audience', async () => {
    const assertion = await buildClientAssertion(client.clientId, client.privateKey, `${issuer.url}/other`)
    const answer = await requestToken({}, assertion)
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.body.error_description).toMatch(/aud/)
  })

  it('rejects an expired assertion', async () => {
    const assertion = await buildClientAssertion(client.clientId, client.privateKey, issuer.tokenUrl, {
      expiresIn: -30,
    })
    const answer = await requestToken({}, assertion)
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.body.error_description).toMatch(/exp/)
  })

  it('rejects an assertion that lives too long', async () => {
    const assertion = await buildClientAssertion(client.clientId, client.privateKey, issuer.tokenUrl, {
      expiresIn: 3600,
    })
    const answer = await requestToken({}, assertion)
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
  })

  it('rejects a replayed jti', async () => {
    const assertion = await buildClientAssertion(client.clientId, client.privateKey, issuer.tokenUrl, {
      jti: 'once-only',
    })
    expect((await requestToken({}, assertion)).status).toBe(200)
    const replay = await requestToken({}, assertion)
    expect(replay.status).toBe(401)
    expect(replay.body).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringMatching(/jti/),
    })
  })

  it('rejects sub ≠ iss, a wrong assertion type, a garbage assertion and a mismatching client_id', async () => {
    const wrongSub = await buildClientAssertion(client.clientId, client.privateKey, issuer.tokenUrl, {
      extra: { sub: 'someone-else' },
    })
    const answers = await Promise.all([
      requestToken({}, wrongSub),
      requestToken({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
      requestToken({}, 'not-a-jwt'),
      requestToken({ client_id: 'another-client' }),
    ])
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      expect(answer.body.error).toBe('invalid_client')
    }
  })

  it('rejects a body that is not a form', async () => {
    const response = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'invalid_request' })
  })

  it('issues tokens that introspect as active with the client identity', async () => {
    const token = String((await requestToken({ scope: INTROSPECT_SCOPE })).body.access_token)
    expect(issuer.introspect(token)).toMatchObject({
      active: true,
      client_id: 'dp-client',
      scope: INTROSPECT_SCOPE,
      principalAttributes: { [CBE_ATTRIBUTE]: ['0123456789'] },
    })
  })
})
