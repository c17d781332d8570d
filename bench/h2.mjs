/**
 * Requests per second through `af-routes serve --tls-cert/--tls-key` (not part of CI): HTTP/2
 * (one connection, N concurrent streams) vs HTTPS HTTP/1.1 (N keep-alive connections), both to
 * the same HTTP/1.1 upstream (bench/proxy/upstream.mjs, small JSON body). The built CLI
 * (dist/cli.js, `npx tsup`) runs in its own process with a throw-away certificate made by
 * openssl; the clients run in this one.
 *
 *   node bench/h2.mjs [seconds=3] [concurrency=50]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 3);
const concurrency = Number(process.argv[3] ?? 50);

function waitLine(child, re) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = re.exec(line);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

async function loop(one) {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await one();
        count++;
      }
    }),
  );
  return Math.round(count / seconds);
}

const dir = mkdtempSync(join(tmpdir(), 'af-routes-h2-bench-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
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
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);
const ca = readFileSync(cert);
const upstream = spawn(process.execPath, [join(here, 'proxy', 'upstream.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const upPort = JSON.parse((await waitLine(upstream, /^\{.*\}$/))[0]).port;
const serve = spawn(
  process.execPath,
  [join(here, '..', 'dist', 'cli.js'), 'serve', JSON.stringify({ '/*': `http://127.0.0.1:${upPort}` }), '--port', '0', '--no-watch', '--tls-cert', cert, '--tls-key', key],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const [, url] = await waitLine(serve, /Listening on (https:\/\/\S+)/);
// The access log (one line per request) is drained, not printed.
serve.stdout.resume();

try {
  const session = http2.connect(url, { ca });
  const h2 = () =>
    new Promise((resolve, reject) => {
      const s = session.request({ ':path': '/small' });
      s.on('data', () => undefined);
      s.on('end', resolve);
      s.on('error', reject);
      s.end();
    });
  await loop(h2); // warm-up
  const h2Rps = await loop(h2);
  session.close();

  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const h1 = () =>
    new Promise((resolve, reject) => {
      https
        .get(`${url}/small`, { agent }, (res) => {
          res.on('data', () => undefined);
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  await loop(h1); // warm-up
  const h1Rps = await loop(h1);
  agent.destroy();

  console.log(`af-routes serve over TLS, small JSON, ${concurrency} concurrent, ${seconds} s each`);
  console.log(
    `| client protocol | req/s |\n| --- | --- |\n| HTTP/2 (1 connection, ${concurrency} streams) | ${h2Rps} |\n| HTTP/1.1 (${concurrency} keep-alive connections) | ${h1Rps} |`,
  );
} finally {
  serve.kill('SIGKILL');
  upstream.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
