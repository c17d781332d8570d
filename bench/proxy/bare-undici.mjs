/**
 * The floor: the least a streaming proxy on undici does (issue 18), to measure what our gateway
 * adds on top. One origin, no routing, no X-Forwarded-*, no error bodies, no access log; the
 * same Agent settings as ours (src/proxy/upstream-agent.ts) and `dispatch` with a handler.
 *   node bench/proxy/bare-undici.mjs '{"upstream":"http://127.0.0.1:P"}'  → {"port": N}
 */
import { createServer } from 'node:http';
import { Agent } from 'undici';

const { upstream, preload } = JSON.parse(process.argv[2]);
// `preload`: a module loaded and left unused (differential.mjs target bare-pkg: the package's heap
// without its per-request work, to tell the two apart).
if (preload) await import(preload);
const origin = new URL(upstream).origin;
const host = new URL(upstream).host;
const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);
const endToEnd = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));

const server = createServer((req, res) => {
  const body = req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null;
  agent.dispatch(
    { origin, path: req.url, method: req.method, headers: { ...endToEnd(req.headers), host }, body },
    {
      onRequestStart(c) {
        res.once('close', () => res.writableFinished || c.abort(new Error('client left')));
      },
      onResponseStart(c, status, headers) {
        res.writeHead(status, endToEnd(headers));
      },
      // As ours (src/proxy/node-relay.ts) since session 25, so the floor is the same body path:
      // undici's empty chunk after a resume is not written, and undici pauses only when the
      // previous chunk has not drained (Node's http corks each write to the next tick, so a chunk
      // over the 16 KB highWaterMark reads false even when the kernel takes it whole).
      onResponseData(c, chunk) {
        if (chunk.length === 0) return;
        const backedUp = res.writableNeedDrain;
        if (!res.write(chunk) && backedUp) {
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
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
