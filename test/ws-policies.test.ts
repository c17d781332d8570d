/**
 * SPEC 12 policies at upgrade time (issue 19 "auth and rate limit at upgrade time"): a WebSocket
 * handshake through the Node gateway runs the route's auth and rateLimit before any upstream is
 * picked. Real `ws` servers and clients on 127.0.0.1; every refusal is checked to have opened no
 * connection at the upstream (its server's 'connection' events are counted), and no socket is
 * left open after any test.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compile, type GatewayOptions } from '../src/index.js';
import { ensureBuilt, CliProcess } from './support/cli-serve-process.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { keyHash } from './support/policies.js';
import { closedPort, startServer } from './support/servers.js';
import { closed, handshake, nextMessage, startUpgradeGateway, startWsEcho, type Handshake } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();

/** An echo upstream; its `connections()` counts the TCP connections made to it (0 after a refusal). */
const countingEcho = startWsEcho;

async function gatewayFor(routes: Record<string, unknown>, options: Omit<GatewayOptions, 'router'> = {}) {
  return track(startUpgradeGateway(compile(routes as never, { backend: 'js' }), options));
}

async function echoOnce(ws: WebSocket, text: string): Promise<string> {
  ws.send(text);
  return (await nextMessage(ws)).data.toString();
}

async function closeWs(ws: WebSocket): Promise<void> {
  const done = closed(ws);
  ws.close();
  await done;
}

describe('apiKey at upgrade time', () => {
  it('missing or wrong key: 401 JSON on the socket, no upstream connection; right key: echo, and the key never reaches the upstream', async () => {
    const up = await track(countingEcho());
    const gw = await gatewayFor({ '/ws/*': { target: up.url, auth: { type: 'apiKey', keys: [await keyHash('s3cret-key')] } } });
    for (const headers of [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': 's3cret-ke' }] as Record<string, string>[]) {
      const r = await handshake(`${gw.wsUrl}/ws/chat`, headers);
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers.connection).toBe('close');
      const body = JSON.parse((r as { body: string }).body);
      expect(body.error.code).toBe('unauthorized');
      expect(body.route).toBe('/ws/*');
    }
    expect(up.connections()).toBe(0);
    expect(gw.log.map((e) => [e.status, e.error])).toEqual([
      [401, 'unauthorized'],
      [401, 'unauthorized'],
      [401, 'unauthorized'],
    ]);

    const ok = await handshake(`${gw.wsUrl}/ws/chat`, { 'x-api-key': 's3cret-key', 'x-other': '1' });
    expect(ok.status).toBe(101);
    expect(await echoOnce(ok.ws!, 'hello')).toBe('hello');
    expect(up.connections()).toBe(1);
    const seen = up.handshakes[0]!;
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers['x-other']).toBe('1');
    expect(JSON.stringify(seen)).not.toContain('s3cret-key');
    await closeWs(ok.ws!);
  });

  it('a key in the query is checked and stripped from the forwarded URL', async () => {
    const up = await track(countingEcho());
    const gw = await gatewayFor({ '/q/*': { target: up.url, auth: { type: 'apiKey', in: 'query', name: 'api_key', keys: [await keyHash('s3cret-key')] } } });
    expect((await handshake(`${gw.wsUrl}/q/live?api_key=nope`)).status).toBe(401);
    expect(up.connections()).toBe(0);
    const ok = await handshake(`${gw.wsUrl}/q/live?a=1&api_key=s3cret-key&b=2`);
    expect(ok.status).toBe(101);
    expect(up.handshakes[0]!.url).toBe('/live?a=1&b=2');
    await closeWs(ok.ws!);
  });
});

describe('jwt at upgrade time', () => {
  it('forwards the claims as headers (client copies replaced); an expired or tampered token is 401 Bearer invalid_token, no upstream connection', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const up = await track(countingEcho());
    const gw = await gatewayFor({
      '/live/*': { target: up.url, auth: { type: 'jwt', issuer: 'https://issuer.test/', audience: 'gw', publicKey: jwk, forwardClaims: { sub: 'x-user-id' } } },
    });
    const sign = (exp: string | number) =>
      new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://issuer.test/').setAudience('gw').setIssuedAt().setExpirationTime(exp).sign(privateKey);

    const expired = await handshake(`${gw.wsUrl}/live/feed`, { authorization: `Bearer ${await sign(Math.floor(Date.now() / 1000) - 3600)}` });
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse((expired as { body: string }).body).error.code).toBe('unauthorized');
    const good = await sign('5m');
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory', iss: 'https://issuer.test/', aud: 'gw', exp: 9999999999 })).toString('base64url')}.${s}`;
    expect(p).not.toBe(tampered.split('.')[1]);
    expect((await handshake(`${gw.wsUrl}/live/feed`, { authorization: `Bearer ${tampered}` })).status).toBe(401);
    expect((await handshake(`${gw.wsUrl}/live/feed`)).headers['www-authenticate']).toBe('Bearer');
    expect(up.connections()).toBe(0);

    const ok = await handshake(`${gw.wsUrl}/live/feed`, { authorization: `Bearer ${good}`, 'x-user-id': 'forged' });
    expect(ok.status).toBe(101);
    expect(await echoOnce(ok.ws!, 'ping?')).toBe('ping?');
    expect(up.handshakes[0]!.headers['x-user-id']).toBe('alice');
    await closeWs(ok.ws!);
  });
});

describe('rateLimit at upgrade time', () => {
  it('a burst of N+k upgrades gets exactly k 429s (counted) with Retry-After and the RateLimit headers; the 101s carry them too', async () => {
    const N = 4;
    const k = 3;
    const up = await track(countingEcho());
    // A frozen clock: no token comes back during the burst, so the count is exact.
    const gw = await gatewayFor({ '/ws/*': { target: up.url, rateLimit: { requests: N, per: '1m', key: 'route' } } }, { clock: () => 1_000_000 });
    const results: Handshake[] = [];
    for (let i = 0; i < N + k; i++) results.push(await handshake(`${gw.wsUrl}/ws/r${i}`));
    const refused = results.filter((r) => r.status === 429);
    const opened = results.filter((r) => r.status === 101);
    expect(refused).toHaveLength(k);
    expect(opened).toHaveLength(N);
    expect(up.connections()).toBe(N);
    for (const r of refused) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.headers['ratelimit-policy']).toBe(`"default";q=${N};w=60`);
      expect(r.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
      expect(JSON.parse((r as { body: string }).body).error.code).toBe('rate-limited');
    }
    expect(opened.map((r) => r.headers['ratelimit'])).toEqual(Array.from({ length: N }, (_, i) => expect.stringMatching(new RegExp(`^"default";r=${N - 1 - i};t=\\d+$`))));
    for (const r of opened) {
      expect(await echoOnce(r.ws!, 'still here')).toBe('still here');
      await closeWs(r.ws!);
    }
    expect(gw.log.filter((e) => e.status === 429 && e.error === 'rate-limited')).toHaveLength(k);
  });
});

describe('one bucket for HTTP and upgrades', () => {
  it('plain requests and WebSocket handshakes on a route draw from the same rate-limit bucket', async () => {
    const up = await track(countingEcho());
    const gw = await gatewayFor({ '/ws/*': { target: up.url, rateLimit: { requests: 3, per: '1m', key: 'route' } } }, { clock: () => 1_000_000 });
    // Two plain GETs (the echo server answers them 426) take two of the three tokens...
    const plain: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${gw.url}/ws/plain${i}`);
      await res.arrayBuffer();
      plain.push(res.status);
    }
    expect(plain).toEqual([426, 426]);
    // ...so of two handshakes only the first opens.
    const first = await handshake(`${gw.wsUrl}/ws/a`);
    const second = await handshake(`${gw.wsUrl}/ws/b`);
    expect([first.status, second.status]).toEqual([101, 429]);
    expect(up.handshakes).toHaveLength(1);
    await closeWs(first.ws!);
  });
});

describe('forward auth at upgrade time', () => {
  it('auth server down: 502 auth-unavailable, never open, no upstream connection', async () => {
    const up = await track(countingEcho());
    const gw = await gatewayFor({ '/ws/*': { target: up.url, auth: { type: 'forward', url: `http://127.0.0.1:${await closedPort()}/check` } } });
    const r = await handshake(`${gw.wsUrl}/ws/x`);
    expect(r.status).toBe(502);
    expect(JSON.parse((r as { body: string }).body).error.code).toBe('auth-unavailable');
    expect(up.connections()).toBe(0);
  });

  it("2xx: the listed answer headers reach the upstream handshake (client copies removed); 403: the auth server's answer is relayed as it is", async () => {
    const auth = await track(
      startServer((req, res) => {
        if (req.headers.authorization === 'Bearer good') res.writeHead(200, { 'x-auth-user': 'bob' }).end();
        else res.writeHead(403, { 'content-type': 'text/plain', 'x-reason': 'nope' }).end('forbidden here');
      }),
    );
    const up = await track(countingEcho());
    const gw = await gatewayFor({
      '/ws/*': { target: up.url, auth: { type: 'forward', url: `${auth.url}/check`, requestHeaders: ['authorization'], responseHeaders: ['x-auth-user'] } },
    });
    const denied = await handshake(`${gw.wsUrl}/ws/x`, { authorization: 'Bearer bad' });
    expect(denied).toMatchObject({ status: 403, body: 'forbidden here' });
    expect(denied.headers['x-reason']).toBe('nope');
    expect(denied.headers['content-type']).toBe('text/plain');
    expect(up.connections()).toBe(0);
    const ok = await handshake(`${gw.wsUrl}/ws/x`, { authorization: 'Bearer good', 'x-auth-user': 'forged' });
    expect(ok.status).toBe(101);
    expect(up.handshakes[0]!.headers['x-auth-user']).toBe('bob');
    await closeWs(ok.ws!);
  });
});

describe('header rules at upgrade time', () => {
  it('requestHeaders edit the forwarded upgrade request; responseHeaders edit the 101', async () => {
    const up = await track(countingEcho());
    const gw = await gatewayFor({
      '/ws/*': {
        target: up.url,
        requestHeaders: { set: { 'x-gw': 'edge-1' }, remove: ['x-secret'] },
        responseHeaders: { set: { 'x-served-by': 'gw' } },
      },
    });
    const ok = await handshake(`${gw.wsUrl}/ws/x`, { 'x-secret': 'hide me' });
    expect(ok.status).toBe(101);
    expect(ok.headers['x-served-by']).toBe('gw');
    expect(up.handshakes[0]!.headers['x-gw']).toBe('edge-1');
    expect(up.handshakes[0]!.headers['x-secret']).toBeUndefined();
    expect(up.handshakes[0]!.headers.upgrade).toBe('websocket');
    await closeWs(ok.ws!);
  });
});

describe('through `af-routes serve` (the built CLI)', () => {
  it('refuses a missing API key with 401 and no upstream connection, and proxies with the right one', async () => {
    await ensureBuilt();
    const up = await track(countingEcho());
    const table = { '/ws/*': { target: up.url, auth: { type: 'apiKey', keys: [await keyHash('cli-key')] } } };
    const cli = new CliProcess(['serve', JSON.stringify(table), '--port', '0', '--no-watch']);
    try {
      const [, url] = await cli.waitFor(/Listening on (http:\/\/\S+) \(HTTP\/1\.1 and WebSockets\)/);
      const base = url!.replace('http:', 'ws:');
      const refused = await handshake(`${base}/ws/chat`);
      expect(refused.status).toBe(401);
      expect(JSON.parse((refused as { body: string }).body).error.code).toBe('unauthorized');
      expect(up.connections()).toBe(0);
      const ok = await handshake(`${base}/ws/chat`, { 'x-api-key': 'cli-key' });
      expect(ok.status).toBe(101);
      expect(await echoOnce(ok.ws!, 'via cli')).toBe('via cli');
      expect(up.handshakes[0]!.headers['x-api-key']).toBeUndefined();
      await closeWs(ok.ws!);
      await cli.waitFor(/GET \/ws\/chat -> \/ws\/\* 101 upstream=101/);
      expect(cli.out).toMatch(/GET \/ws\/chat -> \/ws\/\* 401/);
    } finally {
      await cli.stop();
    }
  }, 120_000);
});
