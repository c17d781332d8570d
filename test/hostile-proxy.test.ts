/**
 * Hostile input at the proxy (issue 5; SECURITY.md): request smuggling and hop-by-hop header
 * abuse through the real Node gateway, hostile header sets in the request builder, and the
 * outbound (SSRF) policy against an independent oracle and every spelling of an address.
 *
 * Real servers on 127.0.0.1 only; every exchange is bounded by a short timeout.
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import { HOP_BY_HOP_HEADERS } from '../src/pipeline/headers.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';
import { checkAddress, checkTargetHost, createGateway } from '../src/proxy/index.js';

// ---------------------------------------------------------------------------------------
// A real upstream that records what reaches it, and the gateway in front of it.

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let seen: Seen[] = [];
let upstream: http.Server;
let gatewayServer: http.Server;
let gateway: ReturnType<typeof createGateway>;
let gatewayPort = 0;
const faults: unknown[] = [];
const onFault = (e: unknown) => faults.push(e);

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  process.on('unhandledRejection', onFault);
  upstream = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, x-internal',
        'x-internal': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-authenticate': 'Basic',
      });
      res.end('ok ' + req.url);
    });
  });
  const upPort = await listen(upstream);
  const router = compile({ '/api/*': `http://127.0.0.1:${upPort}/api`, '/*': `http://127.0.0.1:${upPort}/root` });
  gateway = createGateway({ router, timeouts: { connect: 1_000, headers: 2_000, bodyIdle: 2_000 } });
  gatewayServer = http.createServer(gateway.handler);
  gatewayPort = await listen(gatewayServer);
});

afterAll(async () => {
  process.off('unhandledRejection', onFault);
  gatewayServer.closeAllConnections();
  await new Promise((r) => gatewayServer.close(r));
  await gateway.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** Writes raw bytes to the gateway and collects what comes back until close or 1.5 s of quiet. */
function raw(payload: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(gatewayPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, 1_500);
    };
    socket.on('data', (d) => {
      chunks.push(d);
      quiet();
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.on('connect', () => {
      socket.write(payload, 'latin1');
      quiet();
    });
  });
}

const statusLines = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

describe('request smuggling through the Node gateway', () => {
  // Each payload hides a second request (`/api/smuggled`) behind ambiguous framing. The host's
  // HTTP parser (llhttp, strict) must refuse the framing, and the gateway re-frames what it
  // forwards, so the upstream must never see the hidden request.
  const H = 'Host: gw.test\r\n';
  const hidden = `GET /api/smuggled HTTP/1.1\r\n${H}\r\n`;
  const payloads: [string, string][] = [
    ['Content-Length and Transfer-Encoding together (CL.TE)', `POST /api/a HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`],
    [
      'Transfer-Encoding and Content-Length together (TE.CL)',
      `POST /api/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n${hidden}`,
    ],
    ['two different Content-Lengths', `POST /api/a HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`],
    ['Transfer-Encoding with a space before the colon', `POST /api/a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`],
    ['Transfer-Encoding: chunked, then an unknown coding', `POST /api/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n${hidden}`],
    ['Transfer-Encoding: xchunked', `POST /api/a HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${hidden}`],
    [
      'obs-fold continuation line hiding Transfer-Encoding',
      `POST /api/a HTTP/1.1\r\n${H}X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    ],
    ['a chunk size that overflows', `POST /api/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n0\r\n\r\n${hidden}`],
    ['a bare CR inside a header value', `GET /api/a HTTP/1.1\r\n${H}X-A: a\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`],
    ['a NUL in a header value', `GET /api/a HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n${hidden}`],
    [
      'Connection naming Content-Length (to strip the framing header)',
      `POST /api/a HTTP/1.1\r\n${H}Connection: close, content-length\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    ],
    [
      'Connection naming Transfer-Encoding',
      `POST /api/a HTTP/1.1\r\n${H}Connection: close, transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
    ],
  ];

  for (const [name, payload] of payloads) {
    it(`${name}: the hidden request never reaches the upstream`, async () => {
      seen = [];
      const answer = await raw(payload);
      expect(
        seen.filter((s) => s.url.includes('smuggled')),
        answer.slice(0, 200),
      ).toEqual([]);
      // Whatever did reach the upstream carried no conflicting framing of its own making.
      for (const s of seen) expect(s.headers['transfer-encoding'] !== undefined && s.headers['content-length'] !== undefined).toBe(false);
      if (name.startsWith('Connection naming')) {
        // Legal framing: the proxy drops the named header and re-frames, so the "hidden"
        // request arrives as what it is, the body of the one request.
        expect(statusLines(answer)).toEqual([200]);
        expect(seen.map((s) => [s.url, s.body])).toEqual([['/api/a', hidden]]);
      } else {
        // Ambiguous framing: refused by the host's parser before the gateway sees anything.
        expect(statusLines(answer)).toEqual([400]);
        expect(seen).toEqual([]);
      }
    });
  }

  it('control: two honestly pipelined requests both reach the upstream (so a smuggled one would be seen)', async () => {
    seen = [];
    const answer = await raw(`GET /api/first HTTP/1.1\r\n${H}\r\nGET /api/smuggled HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(statusLines(answer)).toEqual([200, 200]);
    expect(seen.map((s) => s.url)).toEqual(['/api/first', '/api/smuggled']);
  });

  it('a body that merely contains a request is forwarded as a body, byte for byte', async () => {
    seen = [];
    const answer = await raw(`POST /api/a HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${hidden.length}\r\nConnection: close\r\n\r\n${hidden}`);
    expect(statusLines(answer)).toEqual([200]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/api/a');
    expect(seen[0]!.body).toBe(hidden);
  });

  it('absolute-form and authority tricks in the request-target never change the upstream', async () => {
    seen = [];
    const answers = await Promise.all(
      ['http://evil.example/api/x', '//evil.example/api/x', '/@evil.example/api', '/api/..%2F..%2Fx', '/api/%2e%2e/%2e%2e/x', '/\\evil.example'].map((t) =>
        raw(`GET ${t} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n`).then((a) => [t, statusLines(a)[0]] as const),
      ),
    );
    const status = Object.fromEntries(answers);
    expect(status['http://evil.example/api/x']).toBe(400); // no leading "/": never routed
    expect(status['/api/..%2F..%2Fx']).toBe(400); // encoded slash
    expect(status['/\\evil.example']).toBe(400); // raw backslash
    // The rest are normalized paths, forwarded to the table's own upstream only.
    for (const s of seen) {
      expect(s.headers.host).toBe(`127.0.0.1:${(upstream.address() as net.AddressInfo).port}`);
      expect(s.url.startsWith('/api') || s.url.startsWith('/root')).toBe(true);
    }
    // `//evil.example/api/x` is the path /evil.example/api/x; `/api/%2e%2e/%2e%2e/x` is /x
    expect(seen.map((s) => s.url).sort()).toEqual(['/root/@evil.example/api', '/root/evil.example/api/x', '/root/x']);
  });

  it('hop-by-hop headers are stripped both ways, including those Connection names', async () => {
    seen = [];
    const answer = await raw(
      'GET /api/hop HTTP/1.1\r\nHost: gw.test\r\nConnection: close, x-forwarded-for, x-secret, authorization-internal\r\n' +
        'X-Forwarded-For: 6.6.6.6\r\nX-Secret: s\r\nAuthorization-Internal: t\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nKeep-Alive: 1\r\nUpgrade: h2c\r\n\r\n',
    );
    expect(statusLines(answer)).toEqual([200]);
    expect(seen).toHaveLength(1);
    const h = seen[0]!.headers;
    for (const name of ['x-secret', 'authorization-internal', 'te', 'proxy-authorization', 'upgrade']) expect(h[name], name).toBeUndefined();
    // The client's X-Forwarded-For was named in Connection: dropped; the proxy's own is set.
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    const head = answer.slice(0, answer.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).not.toContain('x-internal');
    expect(head).not.toContain('proxy-authenticate');
  });

  it('the gateway never leaked an unhandled rejection', () => {
    expect(faults).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// The request builder with hostile header sets.

describe('buildProxyRequest with hostile headers', () => {
  const router = compile({ '/api/*': 'https://api.internal:8443/v1', '/u/:id': 'http://u.internal/users/:id' }, { backend: 'js' });
  const match = router.match('/api/x') as RouteMatch;
  const NAMES = [
    ...HOP_BY_HOP_HEADERS,
    'host',
    'Host',
    'HOST',
    'x-forwarded-for',
    'X-Forwarded-Host',
    'x-forwarded-proto',
    'content-length',
    'cookie',
    'authorization',
    'x-a',
    '__proto__',
    'constructor',
    'toString',
  ];
  const name = fc.oneof(
    fc.constantFrom(...NAMES),
    fc.constantFrom(...NAMES).map((n) => n.toUpperCase()),
    fc.string({ minLength: 1, maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.array(fc.constantFrom(...NAMES, 'close', 'keep-alive', ' ', ','), { maxLength: 5 }).map((t) => t.join(', ')),
  );

  it('never throws; never forwards a hop-by-hop header or one Connection names; Host and X-Forwarded-* are its own', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, value), { maxLength: 12 }),
        fc.constantFrom('10.0.0.7', '::ffff:10.0.0.7', '', null),
        fc.constantFrom('http', 'https', 'HTTPS:'),
        (pairs, client, protocol) => {
          const rawHeaders = pairs.flat();
          const req = buildProxyRequest(match, { method: 'GET', headers: rawHeaders, clientAddress: client, protocol });
          const named = new Set<string>();
          for (const [n, v] of pairs) {
            const lower = n.toLowerCase();
            if (lower === 'connection' || lower === 'proxy-connection') for (const t of v.split(',')) if (t.trim() !== '') named.add(t.trim().toLowerCase());
          }
          for (const key of Object.keys(req.headers)) {
            expect(key).toBe(key.toLowerCase());
            expect(HOP_BY_HOP_HEADERS.has(key), key).toBe(false);
            if (key !== 'host' && !key.startsWith('x-forwarded-')) expect(named.has(key), `${key} was named in Connection`).toBe(false);
          }
          expect(req.headers.host).toBe('api.internal:8443');
          expect(req.origin).toBe('https://api.internal:8443');
          expect(req.headers['x-forwarded-proto']).toBe(protocol.toLowerCase().replace(':', ''));
          if (client) {
            const xff = String(req.headers['x-forwarded-for']);
            expect(xff.split(', ').at(-1)).toBe('10.0.0.7');
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// The outbound (SSRF) policy.

/** The IPv4 ranges a multi-tenant proxy must never reach (IANA special-purpose registry). */
const NON_PUBLIC_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const oracleV4 = new net.BlockList();
for (const [base, bits] of NON_PUBLIC_V4) oracleV4.addSubnet(base, bits, 'ipv4');

const v4text = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const hex4 = (n: number) => `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;

/** Addresses spread over the whole space, with extra weight at the edges of every range. */
const v4 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.tuple(fc.constantFrom(...NON_PUBLIC_V4), fc.integer({ min: -2, max: 2 }), fc.boolean()).map(([[base, bits], d, top]) => {
    const b = net.isIPv4(base) ? base.split('.').reduce((a, x) => a * 256 + Number(x), 0) : 0;
    const edge = top ? b + 2 ** (32 - bits) - 1 : b;
    return Math.min(0xffffffff, Math.max(0, edge + d));
  }),
);

describe('the outbound policy (SSRF) against an independent oracle', () => {
  it('an IPv4 address is allowed exactly when it is in no special-purpose range (net.BlockList as oracle)', () => {
    fc.assert(
      fc.property(v4, (n) => {
        const text = v4text(n);
        expect(checkAddress(text).allowed, text).toBe(!oracleV4.check(text, 'ipv4') && n !== 0xffffffff);
      }),
      { numRuns: 20_000 },
    );
  });

  it('every IPv6 spelling of an IPv4 address gets the IPv4 verdict (mapped, expanded, hex, bracketed, NAT64, 6to4)', () => {
    fc.assert(
      fc.property(v4, (n) => {
        const text = v4text(n);
        const verdict = checkAddress(text).allowed;
        for (const form of [
          `::ffff:${text}`,
          `::FFFF:${hex4(n)}`,
          `0:0:0:0:0:ffff:${text}`,
          `[::ffff:${text}]`,
          `::ffff:${text}%eth0`,
          `64:ff9b::${text}`,
          `64:ff9b::${hex4(n)}`,
        ]) {
          expect(checkAddress(form).allowed, form).toBe(verdict);
        }
        // 6to4 (2002:V4::/48): never more permissive than the embedded IPv4 address
        if (!verdict) expect(checkAddress(`2002:${hex4(n)}::1`).allowed).toBe(false);
      }),
      { numRuns: 5_000 },
    );
  });

  it('IPv6: nothing outside global unicast (2000::/3) is allowed, nor ULA, link-local, multicast, documentation, Teredo', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const v6 = fc.oneof(
      fc.array(group, { minLength: 8, maxLength: 8 }),
      fc
        .tuple(fc.constantFrom(0xfc00, 0xfd12, 0xfe80, 0xfebf, 0xfec0, 0xff02, 0x2001, 0x3fff, 0x0064, 0x0100, 0x2002, 0x0000), fc.array(group, { minLength: 7, maxLength: 7 }))
        .map(([g0, rest]) => [g0, ...rest]),
    );
    fc.assert(
      fc.property(v6, (g) => {
        const text = g.map((x) => x.toString(16)).join(':');
        const allowed = checkAddress(text).allowed;
        const g0 = g[0]!;
        const g1 = g[1]!;
        if ((g0 & 0xe000) !== 0x2000) {
          // Outside 2000::/3, only the IPv4 translations may be public (and then as their IPv4).
          const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
          const nat64 = g0 === 0x64 && g1 === 0xff9b && g.slice(2, 6).every((x) => x === 0);
          if (!mapped && !nat64) expect(allowed, text).toBe(false);
        }
        if (g0 === 0x2001 && g1 < 0x200) expect(allowed, text).toBe(false); // Teredo and other IETF assignments
        if (g0 === 0x2001 && g1 === 0xdb8) expect(allowed, text).toBe(false);
        if (g0 === 0x3fff && g1 < 0x1000) expect(allowed, text).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it('text that is not a canonical IP address is refused, never parsed loosely', () => {
    for (const text of [
      '127.1',
      '0177.0.0.1',
      '0x7f.0.0.1',
      '2130706433',
      '127.0.0.1 ',
      ' 127.0.0.1',
      '127.0.0.1.',
      '1.2.3.4.5',
      '::ffff:127.0.0.1:80',
      '[::1',
      'localhost',
      '',
      '::ffff:0177.0.0.1',
    ]) {
      expect(checkAddress(text).allowed, JSON.stringify(text)).toBe(false);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const v = checkAddress(text);
        if (v.allowed) expect(net.isIP(text.replace(/^\[|\]$/g, '').replace(/%.*$/, '')), JSON.stringify(text)).not.toBe(0);
      }),
      { numRuns: 5_000 },
    );
  });

  it('a target that spells a loopback, private or metadata address in any URL notation is blocked before connecting', () => {
    const targets = [
      'http://127.0.0.1',
      'http://127.1',
      'http://2130706433',
      'http://0x7f000001',
      'http://0x7f.0.0.1',
      'http://0177.0.0.1',
      'http://127.0.0.1.',
      'http://0',
      'http://0.0.0.0',
      'http://[::1]',
      'http://[::ffff:127.0.0.1]',
      'http://[0:0:0:0:0:ffff:7f00:1]',
      'http://169.254.169.254',
      'http://0251.0376.0251.0376',
      'http://0xa9fea9fe',
      'http://2852039166',
      'http://[fd00:ec2::254]',
      'http://10.0.0.1',
      'http://192.168.1.1:8080',
      'http://[fe80::1]',
      'http://[64:ff9b::a9fe:a9fe]',
      'http://[::ffff:a9fe:a9fe]',
    ];
    for (const target of targets) {
      const router = compile({ '/x/*': target }, { backend: 'js' });
      const origin = router.routes[0]!.template.origin;
      const blocked = checkTargetHost(origin);
      expect(blocked, `${target} -> ${origin}`).not.toBeNull();
      expect(blocked!.code).toBe('ERR_OUTBOUND_BLOCKED');
    }
    // A name is judged later, on the addresses DNS returns and the socket connects to.
    expect(checkTargetHost(compile({ '/x/*': 'http://metadata.google.internal' }, { backend: 'js' }).routes[0]!.template.origin)).toBeNull();
  });
});
