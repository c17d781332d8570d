/**
 * The gateway's own per-request work, without sockets (issue 18): what `createNodeProxy` does
 * around one exchange, timed in one process so the figure does not follow the machine's load
 * the way req/s does. Not in CI; a measuring tool, not a test.
 *
 *   npx tsup && node bench/proxy/hot-path.mjs [requests per batch=20000] [batches=15]
 *
 * Each request is a real `http.IncomingMessage` (on an unconnected socket: url, method, headers
 * as Node parses them), answered into a minimal response object (an EventEmitter with
 * writeHead/write/end that walks the head's headers as Node's serializer would, list or record; a socket-less
 * `http.ServerResponse` costs ~30 us per answer on its own and would hide our figures). The Agent is a stub
 * whose `dispatch` answers at once through the handler's callbacks (onRequestStart,
 * onResponseStart with the parsed headers undici hands over, one body chunk, onResponseEnd),
 * so what is timed is ours: routing, the upstream request's headers, the relay, the attempt
 * loop. Rows:
 *   - bare:   the ~20-line proxy of bench/proxy/bare-undici.mjs, same stubs (the floor);
 *   - single: one target (the single-dispatch path);
 *   - single+timeout: one target with a route `timeout` (the attempt loop, no balancer);
 *   - rr x3:  three targets, round-robin (the attempt loop, pick, health accounting).
 * Prints the median and the minimum ns per request over the batches (interleaved).
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { EventEmitter } from 'node:events';

const [perBatch = 20_000, batches = 15] = process.argv.slice(2).map(Number);
// DIST=/path/to/dist/index.js (env): time another build (before/after a change) in the same way.
const pkg = await import(process.env.DIST ?? '@alternatefutures/routing-core');

const RESPONSE_HEADERS = {
  'content-type': 'application/json',
  'content-length': '42',
  date: 'Sun, 29 Nov 2026 12:00:00 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=60',
};
const BODY = Buffer.from(JSON.stringify({ ok: true, service: 'upstream', id: 42 }).padEnd(42));
// What a browser-ish client sends (autocannon sends only Host).
const RAW = [
  'Host',
  'gw.example',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0',
  'Accept',
  'application/json',
  'Accept-Language',
  'en-US,en;q=0.5',
  'Accept-Encoding',
  'gzip, deflate, br',
  'Connection',
  'keep-alive',
  'Cookie',
  'session=abc123; theme=dark',
];

const controller = { abort() {}, pause() {}, resume() {}, aborted: false, paused: false };
const stubAgent = {
  dispatch(opts, handler) {
    handler.onRequestStart?.(controller, {});
    handler.onResponseStart(controller, 200, { ...RESPONSE_HEADERS }, 'OK');
    handler.onResponseData(controller, BODY);
    handler.onResponseEnd(controller, {});
    return true;
  },
  close: async () => {},
  destroy: async () => {},
};

const socket = new Socket();
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
function request(i) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = `/small?n=${i}`;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = RAW.slice();
  const headers = {};
  for (let k = 0; k < RAW.length; k += 2) headers[RAW[k].toLowerCase()] = RAW[k + 1];
  req.headers = headers;
  req.complete = true;
  return req;
}
class Response extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  headerBytes = 0;
  constructor(req) {
    super();
    this.req = req;
  }
  writeHead(status, reason, headers) {
    if (typeof reason !== 'string') headers = reason;
    this.statusCode = status;
    this.headersSent = true;
    // As Node's _storeHeader: a flat [name, value, ...] list by index, a record by for...in with an own-property check.
    if (Array.isArray(headers)) for (let n = 0; n < headers.length; n += 2) this.headerBytes += headers[n].length + String(headers[n + 1]).length;
    else for (const k in headers) if (Object.hasOwn(headers, k)) this.headerBytes += k.length + String(headers[k]).length;
    return this;
  }
  write() {
    return true;
  }
  flushHeaders() {}
  end() {
    this.writableEnded = this.writableFinished = true;
    return this;
  }
  destroy() {
    this.destroyed = true;
  }
}
const respond = (req) => new Response(req);

// The bare proxy's handler (bench/proxy/bare-undici.mjs), against the same stub.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);
const endToEnd = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));
const bare = (req, res) => {
  const body = req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null;
  stubAgent.dispatch(
    { origin: 'http://127.0.0.1:1', path: req.url, method: req.method, headers: { ...endToEnd(req.headers), host: '127.0.0.1:1' }, body },
    {
      onRequestStart(c) {
        res.once('close', () => res.writableFinished || c.abort(new Error('client left')));
      },
      onResponseStart(c, status, headers) {
        res.writeHead(status, endToEnd(headers));
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(c, err) {
        if (res.headersSent) res.destroy(err);
        else {
          res.statusCode = 502;
          res.end();
        }
      },
    },
  );
};

const gateway = (routes) => {
  const proxy = pkg.createNodeProxy({ router: pkg.compile(routes), agent: stubAgent });
  return (req, res) => proxy.handler(req, res);
};
const rows = {
  bare,
  single: gateway({ '/*': 'http://127.0.0.1:1' }),
  'single+timeout': gateway({ '/*': { target: 'http://127.0.0.1:1', timeout: '30s' } }),
  'rr x3': gateway({ '/*': { targets: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'] } }),
};

// ROWS=single,bare (env): time only these rows (e.g. under `node --cpu-prof`).
if (process.env.ROWS) for (const k of Object.keys(rows)) if (!process.env.ROWS.split(',').includes(k)) delete rows[k];

// Check once that every row answers 200 with the body.
for (const [name, handler] of Object.entries(rows)) {
  const req = request(0);
  const res = respond(req);
  handler(req, res);
  if (res.statusCode !== 200 || !res.writableEnded) throw new Error(`${name}: answered ${res.statusCode}, ended ${res.writableEnded}`);
}

const times = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
const reqs = Array.from({ length: perBatch }, (_, i) => i);
for (let b = 0; b < batches + 2; b++) {
  for (const [name, handler] of Object.entries(rows)) {
    const prepared = reqs.map((i) => request(i));
    const responses = prepared.map((req) => respond(req));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) handler(prepared[i], responses[i]);
    const ns = Number(process.hrtime.bigint() - t0) / perBatch;
    // 'close' is what a socket emits when the exchange is over: the access log and the relay listen for it.
    for (const res of responses) res.emit('close');
    if (b >= 2) times[name].push(ns); // two warm-up batches
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${perBatch} requests per batch, ${batches} batches, node ${process.version}`);
for (const [name, xs] of Object.entries(times)) {
  console.log(
    `${name.padEnd(15)} median ${med(xs).toFixed(0).padStart(6)} ns/request   min ${Math.min(...xs)
      .toFixed(0)
      .padStart(6)}   (over bare: ${times.bare ? (med(xs) - med(times.bare)).toFixed(0) : '?'} ns)`,
  );
}
