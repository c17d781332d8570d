/**
 * SPEC 12 `auth` through the Node proxy against real upstreams on loopback: API keys, JWTs
 * (RS256, ES256, EdDSA; a rotating JWKS; the classic attacks) and forward auth. Every refused
 * request is checked never to reach the upstream.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearJwksCache } from '../src/policies/auth/jwt.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { closedPort, echoHandler, json, rawRequest, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
let hits = 0;
beforeAll(async () => {
  upstream = await startServer(echoHandler(() => hits++));
});
afterAll(async () => {
  await upstream.close();
});

describe('apiKey', () => {
  let proxy: PolicyProxy;
  beforeAll(async () => {
    proxy = await startPolicyProxy({
      '/h/*': { target: upstream.url, auth: { type: 'apiKey', keys: [await keyHash('other-key'), await keyHash('s3cret-key')] } },
      '/q/*': { target: upstream.url, auth: { type: 'apiKey', in: 'query', name: 'api_key', keys: [await keyHash('s3cret-key')] } },
    });
  });
  afterAll(() => proxy.close());

  it('lets the right key through and never forwards it', async () => {
    const res = await rawRequest(proxy.url, { path: '/h/x', headers: { 'x-api-key': 's3cret-key', 'x-other': '1' } });
    expect(res.status).toBe(200);
    const seen = json(res);
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers['x-other']).toBe('1');
    expect(JSON.stringify(seen)).not.toContain('s3cret-key');
  });

  it('refuses a wrong, missing, truncated or extended key with 401 JSON, upstream untouched', async () => {
    const before = hits;
    for (const headers of [{ 'x-api-key': 'wrong' }, {}, { 'x-api-key': 's3cret-ke' }, { 'x-api-key': 's3cret-keyX' }]) {
      const res = await rawRequest(proxy.url, { path: '/h/x', headers: headers as never });
      expect(res.status).toBe(401);
      expect(json(res).error.code).toBe('unauthorized');
      expect(json(res).route).toBe('/h/*');
    }
    expect(hits).toBe(before);
    expect(proxy.events.filter((e) => e.type === 'auth-failure').length).toBeGreaterThanOrEqual(4);
  });

  it('reads a key from the query and strips it (and only it) from the forwarded URL', async () => {
    const ok = await rawRequest(proxy.url, { path: '/q/x?a=1&api_key=s3cret-key&b=2' });
    expect(ok.status).toBe(200);
    expect(json(ok).url).toBe('/x?a=1&b=2');
    const encoded = await rawRequest(proxy.url, { path: '/q/x?api%5Fkey=s3cret%2Dkey' });
    expect(encoded.status).toBe(200);
    expect(json(encoded).url).toBe('/x');
    const bad = await rawRequest(proxy.url, { path: '/q/x?api_key=nope' });
    expect(bad.status).toBe(401);
    // The header is not where this route looks.
    expect((await rawRequest(proxy.url, { path: '/q/x', headers: { 'x-api-key': 's3cret-key' } })).status).toBe(401);
  });
});

describe('jwt', () => {
  const ISS = 'https://issuer.test/';
  const AUD = 'routing-core';
  let jwks: TestServer;
  let jwksFetches = 0;
  let published: JWK[] = [];
  let proxy: PolicyProxy;
  const keys: Record<string, { privateKey: import('node:crypto').webcrypto.CryptoKey; publicJwk: JWK }> = {};

  async function makeKey(alg: string, kid: string) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined, extractable: true } as never);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg };
    keys[kid] = { privateKey: privateKey as import('node:crypto').webcrypto.CryptoKey, publicJwk };
    return publicJwk;
  }

  function sign(kid: string, claims: Record<string, unknown> = {}, opts: { exp?: string | number; nbf?: string | number; iss?: string; aud?: string } = {}) {
    const k = keys[kid]!;
    let t = new SignJWT({ sub: 'user-1', role: 'admin', ...claims })
      .setProtectedHeader({ alg: k.publicJwk.alg!, kid })
      .setIssuedAt()
      .setIssuer(opts.iss ?? ISS)
      .setAudience(opts.aud ?? AUD)
      .setExpirationTime(opts.exp ?? '5m');
    if (opts.nbf !== undefined) t = t.setNotBefore(opts.nbf);
    return t.sign(k.privateKey);
  }

  beforeAll(async () => {
    clearJwksCache();
    published = [await makeKey('RS256', 'rsa-1'), await makeKey('ES256', 'ec-1'), await makeKey('EdDSA', 'ed-1')];
    await makeKey('RS256', 'rsa-2'); // published later: rotation
    jwks = await startServer((_req, res) => {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    proxy = await startPolicyProxy({
      '/api/*': {
        target: upstream.url,
        auth: { type: 'jwt', issuer: ISS, audience: AUD, jwksUri: `${jwks.url}/.well-known/jwks.json`, forwardClaims: { sub: 'x-user-id', role: 'x-user-role' } },
      },
      '/inline/*': { target: upstream.url, auth: { type: 'jwt', issuer: ISS, publicKey: (({ kid: _k, alg: _a, ...rest }) => rest)(keys['ec-1']!.publicJwk) } },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await jwks.close();
  });

  const call = (path: string, token?: string, headers: Record<string, string> = {}) =>
    rawRequest(proxy.url, { path, headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` } });

  it.each(['rsa-1', 'ec-1', 'ed-1'])('accepts a %s token and forwards its claims, replacing client-sent copies', async (kid) => {
    const res = await call('/api/me', await sign(kid), { 'x-user-id': 'forged', 'x-user-role': 'forged' });
    expect(res.status).toBe(200);
    const seen = json(res);
    expect(seen.headers['x-user-id']).toBe('user-1');
    expect(seen.headers['x-user-role']).toBe('admin');
    expect(seen.rawHeaders.filter((h: string) => h.toLowerCase() === 'x-user-id')).toHaveLength(1);
  });

  it('removes client-sent claim headers even when the token lacks the claim', async () => {
    const res = await call('/api/me', await sign('rsa-1', { role: undefined }), { 'x-user-role': 'forged' });
    expect(res.status).toBe(200);
    expect(json(res).headers['x-user-role']).toBeUndefined();
  });

  it('verifies with an inline public JWK', async () => {
    expect((await call('/inline/x', await sign('ec-1'))).status).toBe(200);
    expect((await call('/inline/x', await sign('rsa-1'))).status).toBe(401);
  });

  it('refuses every attack with 401 and WWW-Authenticate; none reaches the upstream', async () => {
    const before = hits;
    const good = await sign('rsa-1');
    const [h, p, s] = good.split('.');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const pem = JSON.stringify(keys['rsa-1']!.publicJwk);
    const hsHeader = b64({ alg: 'HS256', kid: 'rsa-1', typ: 'JWT' });
    const hsSig = createHmac('sha256', pem).update(`${hsHeader}.${p}`).digest('base64url');
    const attacks: Record<string, string> = {
      expired: await sign('rsa-1', {}, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      'not yet valid': await sign('rsa-1', {}, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
      'wrong issuer': await sign('rsa-1', {}, { iss: 'https://evil.test/' }),
      'wrong audience': await sign('rsa-1', {}, { aud: 'someone-else' }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      'HS256 with the public key as secret': `${hsHeader}.${p}.${hsSig}`,
      'tampered payload': `${h}.${b64({ ...payload, role: 'root', sub: 'someone-else' })}.${s}`,
      'unknown kid': `${b64({ alg: 'RS256', kid: 'nope' })}.${p}.${s}`,
      garbage: 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(attacks)) {
      const res = await call('/api/me', token);
      expect(res.status, name).toBe(401);
      expect(res.headers['www-authenticate'], name).toBe('Bearer error="invalid_token"');
      expect(json(res).error.code).toBe('unauthorized');
    }
    const missing = await call('/api/me');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(hits).toBe(before);
  });

  it('picks up a rotated key, refetching on an unknown kid at most once per cooldown', async () => {
    const fetchesBefore = jwksFetches;
    // The new key is not published yet: refused (and at most one refetch for any number of tries).
    const early = await sign('rsa-2');
    for (let i = 0; i < 5; i++) expect((await call('/api/me', early)).status).toBe(401);
    expect(jwksFetches - fetchesBefore).toBeLessThanOrEqual(1);
    published = [...published, keys['rsa-2']!.publicJwk];
    // Within the 30 s cooldown the set is not refetched again: still refused.
    expect((await call('/api/me', early)).status).toBe(401);
    expect(jwksFetches - fetchesBefore).toBeLessThanOrEqual(1);
    // A fresh proxy process (a new cache) sees the rotated set at once.
    clearJwksCache();
    expect((await call('/api/me', early)).status).toBe(200);
  });
});

describe('jwt with an unreachable JWKS', () => {
  it('answers 502 auth-unavailable: a token that cannot be checked never passes', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const port = await closedPort();
    const before = hits;
    const proxy = await startPolicyProxy({ '/*': { target: upstream.url, auth: { type: 'jwt', jwksUri: `http://127.0.0.1:${port}/jwks.json` } } });
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(privateKey);
    const res = await rawRequest(proxy.url, { path: '/x', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(502);
    expect(json(res).error.code).toBe('auth-unavailable');
    expect(hits).toBe(before);
    await proxy.close();
  });

  it('refuses a bad trustedProxies entry at start-up with a clear error', async () => {
    await expect(startPolicyProxy({ '/*': upstream.url }, { trustedProxies: ['not-an-ip'] })).rejects.toThrow(/trustedProxies: .*write addresses or CIDR ranges/);
  });
});

describe('forward auth', () => {
  let auth: TestServer;
  let proxy: PolicyProxy;
  let seen: Record<string, string | string[] | undefined> = {};
  beforeAll(async () => {
    auth = await startServer((req, res) => {
      seen = req.headers;
      if (req.headers.authorization === 'Bearer good') {
        res.writeHead(200, { 'x-auth-user': 'alice', 'x-auth-secret-internal': 'no' });
        res.end('ok');
      } else if (req.headers.authorization === 'Bearer login') {
        res.writeHead(302, { location: 'https://login.test/' });
        res.end();
      } else {
        res.writeHead(403, { 'content-type': 'text/plain', 'x-reason': 'nope' });
        res.end('forbidden by auth');
      }
    });
    const down = await closedPort();
    proxy = await startPolicyProxy({
      '/f/*': { target: upstream.url, auth: { type: 'forward', url: `${auth.url}/check`, requestHeaders: ['authorization'], responseHeaders: ['x-auth-user'] } },
      '/down/*': { target: upstream.url, auth: { type: 'forward', url: `http://127.0.0.1:${down}/check` } },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await auth.close();
  });

  it('2xx continues with the listed headers copied (client copies removed) and Traefik X-Forwarded-*', async () => {
    const res = await rawRequest(proxy.url, { path: '/f/a/b?x=1', method: 'POST', body: 'hi', headers: { authorization: 'Bearer good', 'x-auth-user': 'mallory', cookie: 'c=1' } });
    expect(res.status).toBe(200);
    const up = json(res);
    expect(up.headers['x-auth-user']).toBe('alice');
    expect(up.headers['x-auth-secret-internal']).toBeUndefined();
    expect(Buffer.from(up.bodyBase64, 'base64').toString()).toBe('hi');
    expect(seen['x-forwarded-method']).toBe('POST');
    expect(seen['x-forwarded-uri']).toBe('/f/a/b?x=1');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port}`);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.cookie).toBeUndefined(); // not listed
  });

  it('relays any other answer as it is, and the upstream never sees the request', async () => {
    const before = hits;
    const res = await rawRequest(proxy.url, { path: '/f/x', headers: { authorization: 'Bearer bad' } });
    expect(res.status).toBe(403);
    expect(res.headers['x-reason']).toBe('nope');
    expect(res.body.toString()).toBe('forbidden by auth');
    const redirect = await rawRequest(proxy.url, { path: '/f/x', headers: { authorization: 'Bearer login' } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('https://login.test/');
    expect(hits).toBe(before);
  });

  it('answers 502 when the auth server is down: never open', async () => {
    const before = hits;
    const res = await rawRequest(proxy.url, { path: '/down/x' });
    expect(res.status).toBe(502);
    expect(json(res).error.code).toBe('auth-unavailable');
    expect(hits).toBe(before);
  });
});
