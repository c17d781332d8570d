/**
 * `af-routes serve` speaking TLS, HTTP/2 and WebSockets to clients (the built binary, spawned),
 * in front of plain HTTP/1.1 upstreams on 127.0.0.1: HTTPS with h2 by ALPN and HTTP/1.1 on
 * the same port, 100 streams multiplexed on one h2 connection with the headers checked at the
 * upstream, h2c with prior knowledge, WebSockets (ws:// and wss://), certificate reload, and
 * the flag errors. Certificates are made in the test with `openssl`.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt as ensureBuilt, startCli, type Running } from './support/cli-process.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { eventually, startServer, type TestServer } from './support/servers.js';
import { closed, nextMessage, openWs, startWsEcho } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();
let dir: string;
const running = new Set<Running>();

/** A self-signed certificate for localhost / 127.0.0.1, made with openssl. */
function makeCert(name: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
  } catch (e) {
    throw new Error(`These tests make their certificates with openssl (apt-get install openssl): ${(e as Error).message}`, { cause: e });
  }
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'af-routes-tls-'));
  await ensureBuilt();
}, 120_000);

afterEach(async () => {
  for (const r of running) {
    if (r.alive) r.child.kill('SIGKILL');
    await r.exited;
  }
  running.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: string[]): Running {
  const r = startCli(['serve', ...args, '--port', '0', '--no-watch']);
  running.add(r);
  return r;
}

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
}

/** An HTTP/1.1 upstream that records what it receives and answers with hop-by-hop headers of its own. */
async function recordingUpstream(): Promise<TestServer & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await startServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    // Connection-specific headers an h2 response must never carry (Node would refuse them).
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-up': 'yes' });
    res.write(JSON.stringify({ url: req.url }));
    res.end();
  });
  return Object.assign(server, { seen });
}

function h2Get(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<{ headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ...headers });
    let body = '';
    let head: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8');
    stream.on('response', (h) => (head = h));
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => resolve({ headers: head, body }));
    stream.on('error', reject);
    stream.end();
  });
}

function h2Connect(url: string, ca?: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, ca ? { ca } : {});
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** Tracks a session: closed (gracefully) after the test. */
async function trackSession(s: http2.ClientHttp2Session): Promise<http2.ClientHttp2Session> {
  await track({ close: () => new Promise<void>((r) => (s.closed ? r() : s.close(() => r()))) });
  return s;
}

describe('af-routes serve --tls-cert/--tls-key: HTTPS, HTTP/2 by ALPN, HTTP/1.1 and WebSockets on one port', () => {
  it('multiplexes 100 h2 streams on one connection, mapped to HTTP/1.1 upstream requests with the right headers', async () => {
    const up = await track(recordingUpstream());
    const { cert, key, pem } = makeCert('localhost');
    const gw = serve([JSON.stringify({ '/api/*': up.url }), '--tls-cert', cert, '--tls-key', key]);
    const [, url] = await gw.waitFor(/Listening on (https:\/\/127\.0\.0\.1:\d+) \(HTTPS: HTTP\/2 by ALPN/);
    const session = await trackSession(await h2Connect(url!, pem));
    expect(session.alpnProtocol).toBe('h2');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => h2Get(session, `/api/item/${i}?n=${i}`, { 'x-n': String(i), cookie: ['a=1', `b=${i}`] })));
    for (let i = 0; i < 100; i++) {
      expect(results[i]!.headers[':status']).toBe(200);
      expect(JSON.parse(results[i]!.body)).toEqual({ url: `/item/${i}?n=${i}` });
      expect(results[i]!.headers['x-up']).toBe('yes');
      expect(results[i]!.headers['connection']).toBeUndefined();
      expect(results[i]!.headers['keep-alive']).toBeUndefined();
    }
    expect(up.seen).toHaveLength(100);
    const port = new URL(url!).port;
    for (const s of up.seen) {
      const n = String(s.headers['x-n']);
      expect(s.url).toBe(`/item/${n}?n=${n}`);
      // :authority became X-Forwarded-Host; the upstream gets its own Host.
      expect(s.headers.host).toBe(`127.0.0.1:${up.port}`);
      expect(s.headers['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
      expect(s.headers['x-forwarded-proto']).toBe('https');
      expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
      // Split h2 cookies arrive as one HTTP/1.1 line.
      expect(s.rawHeaders.filter((h) => h.toLowerCase() === 'cookie')).toHaveLength(1);
      expect(s.headers.cookie).toBe(`a=1; b=${n}`);
      // No pseudo-header leaks into HTTP/1.1.
      expect(s.rawHeaders.filter((h, i) => i % 2 === 0 && h.startsWith(':'))).toEqual([]);
    }
    // The access log shows all 100.
    expect(gw.err).toBe(''); // no warning either (an h2 response carries no reason phrase)
    await eventually(() => (gw.out.match(/ GET \/api\/item\/\d+\?n=\d+ -> \/api\/\* 200 upstream=200 /g) ?? []).length === 100, 5_000, '100 access-log lines');
  }, 60_000);

  it('serves HTTP/1.1 over TLS to a client that does not offer h2, and wss:// WebSockets', async () => {
    const up = await track(recordingUpstream());
    const echo = await track(startWsEcho());
    const { cert, key, pem } = makeCert('localhost');
    const gw = serve([JSON.stringify({ '/api/*': up.url, '/ws/*': echo.url }), '--tls-cert', cert, '--tls-key', key]);
    const [, url] = await gw.waitFor(/Listening on (https:\/\/\S+)/);
    const res = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      const req = https.get(`${url}/api/one`, { ca: pem, agent: false, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode!, body, alpn: (r.socket as tls.TLSSocket).alpnProtocol }));
      });
      req.on('error', reject);
    });
    expect(res).toMatchObject({ status: 200, alpn: 'http/1.1' });
    expect(JSON.parse(res.body)).toEqual({ url: '/one' });
    expect(up.seen[0]!.headers['x-forwarded-proto']).toBe('https');

    const ws = await openWs(`${url!.replace('https:', 'wss:')}/ws/chat`, undefined, { ca: pem });
    ws.send('over tls');
    expect((await nextMessage(ws)).data.toString()).toBe('over tls');
    expect(echo.handshakes[0]!.headers['x-forwarded-proto']).toBe('https');
    ws.close(4000, 'done');
    expect(await closed(ws)).toEqual({ code: 4000, reason: 'done' });
    await gw.waitFor(/GET \/ws\/chat -> \/ws\/\* 101 upstream=101/);
  });

  it('reloads the certificate when its files change; a broken pair is reported and the old one kept', async () => {
    const up = await track(recordingUpstream());
    const first = makeCert('first');
    const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    writeFileSync(live.cert, readFileSync(first.cert));
    writeFileSync(live.key, readFileSync(first.key));
    const r = startCli(['serve', JSON.stringify({ '/api/*': up.url }), '--port', '0', '--tls-cert', live.cert, '--tls-key', live.key]);
    running.add(r);
    const [, url] = await r.waitFor(/Listening on (https:\/\/\S+)/);
    const port = Number(new URL(url!).port);
    const subject = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
          const cn = new X509Certificate(socket.getPeerX509Certificate()!.raw).subject;
          socket.destroy();
          resolve(cn);
        });
        socket.on('error', reject);
      });
    expect(await subject()).toBe('CN=first');

    const second = makeCert('second');
    const since = r.out.length;
    writeFileSync(live.key, readFileSync(second.key));
    writeFileSync(live.cert, readFileSync(second.cert));
    await r.waitFor(/Reloaded the TLS certificate/, since);
    expect(await subject()).toBe('CN=second');

    const before = r.out.length;
    writeFileSync(live.cert, 'not a certificate');
    await r.waitFor(/TLS certificate reload failed; still serving the previous certificate:\n {2}--tls-cert \S+ \/ --tls-key \S+: not a usable PEM certificate/, before);
    expect(await subject()).toBe('CN=second');
  });
});

describe('af-routes serve --h2c and plain HTTP', () => {
  it('--h2c: cleartext HTTP/2 with prior knowledge, X-Forwarded-Proto http', async () => {
    const up = await track(recordingUpstream());
    const gw = serve([JSON.stringify({ '/api/*': up.url }), '--h2c']);
    const [, url] = await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+) \(h2c/);
    const session = await trackSession(await h2Connect(url!));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h2Get(session, `/api/c/${i}`)));
    expect(results.map((r) => r.headers[':status'])).toEqual(Array(20).fill(200));
    expect(up.seen.every((s) => s.headers['x-forwarded-proto'] === 'http' && s.headers.host === `127.0.0.1:${up.port}`)).toBe(true);
  });

  it("proxies a WebSocket through plain serve (the issue's first report)", async () => {
    const echo = await track(startWsEcho());
    const gw = serve([JSON.stringify({ '/ws/*': echo.url })]);
    const [, url] = await gw.waitFor(/Listening on (http:\/\/\S+) \(HTTP\/1\.1 and WebSockets\)/);
    const ws = await openWs(`${url!.replace('http:', 'ws:')}/ws/x`);
    ws.send(Buffer.from([1, 2, 3]));
    const back = await nextMessage(ws);
    expect(back.isBinary).toBe(true);
    expect([...back.data]).toEqual([1, 2, 3]);
    // SIGTERM with a WebSocket open: the gateway closes it and stops promptly.
    const done = closed(ws);
    expect(await gw.stop('SIGTERM')).toBe(0);
    expect((await done).code).toBe(1006);
  });
});

describe('af-routes serve: TLS flag errors (exit 2, what to do)', () => {
  const errorOf = async (args: string[]) => {
    const r = startCli(['serve', '{"/*":"http://127.0.0.1:9"}', '--port', '0', ...args]);
    running.add(r);
    const code = await r.exited;
    return { code, err: r.err };
  };

  it('refuses --tls-cert without --tls-key, --h2c with TLS, and an unreadable or mismatched pair', async () => {
    const a = makeCert('a');
    const b = makeCert('b');
    expect(await errorOf(['--tls-cert', a.cert])).toEqual({ code: 2, err: expect.stringContaining('--tls-cert and --tls-key go together') });
    expect(await errorOf(['--tls-cert', a.cert, '--tls-key', a.key, '--h2c'])).toEqual({ code: 2, err: expect.stringContaining('--h2c is cleartext HTTP/2') });
    expect(await errorOf(['--tls-cert', join(dir, 'missing.crt'), '--tls-key', a.key])).toEqual({
      code: 2,
      err: expect.stringMatching(/--tls-cert \S+missing\.crt: cannot read it \(ENOENT\)/),
    });
    expect(await errorOf(['--tls-cert', a.cert, '--tls-key', b.key])).toEqual({ code: 2, err: expect.stringContaining('not a usable PEM certificate and matching private key') });
  });
});
