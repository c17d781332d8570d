/**
 * The per-request cost of the telemetry hooks in the proxy (issue 15; not run in CI), in ns,
 * on the shared observer (src/telemetry/observer.ts): what a request pays with no
 * OpenTelemetry SDK (the default: `start` finds the no-op provider and returns null) and with
 * a MeterProvider registered (start, route, one attempt, end: two histogram records, one
 * counter), and one JSON access-log line.
 * Usage: node bench/telemetry-cost.mjs
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

// The observer is internal: reach it through the chunk the Node proxy uses.
const { defaultObserver } = await import('../src/telemetry/observer.ts').catch(() => ({}));
if (defaultObserver === undefined) {
  console.error('run with tsx: npx tsx bench/telemetry-cost.mjs');
  process.exit(2);
}
const observer = defaultObserver();
const headers = { 'user-agent': 'bench' };
const header = (n) => headers[n];
const out = {};

function oneRequest() {
  const o = observer.start('GET', '/api/users/42', header);
  if (o === null) return;
  o.route('/api/*');
  const a = o.attempt('GET', 'http://127.0.0.1:3001', {});
  a.end(200, undefined);
  o.end(200, 1.2, undefined, 0, 120);
}

function empty() {}

/** ns per call of `fn` minus an empty call's, best of 5 runs of `n` calls (a plain loop: tinybench's own per-call cost is larger than what is measured here). */
function nsPerCall(fn, n) {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    for (let i = 0; i < n / 10; i++) fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) empty();
    const t2 = process.hrtime.bigint();
    best = Math.min(best, (Number(t1 - t0) - Number(t2 - t1)) / n);
  }
  return best;
}

async function run(name, n) {
  out[name] = nsPerCall(oneRequest, n);
}

await run('no SDK (default)', 2_000_000);
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }));
await run('MeterProvider registered', 100_000);
// The JSON access log: one entry serialized by pino into sonic-boom's buffer (written to /dev/null off the loop).
const { pino } = await import('pino');
const { accessLogRecord } = await import('../src/cli/access-log.ts');
const logger = pino(
  { base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
  pino.destination({ dest: '/dev/null', sync: false }),
);
const entry = {
  method: 'GET',
  path: '/api/users/42?x=1',
  route: '/api/*',
  name: '/api/*',
  variant: 0,
  target: 'http://127.0.0.1:3001',
  status: 200,
  upstreamStatus: 200,
  attempts: 1,
  ms: 1.234567,
  upstreamMs: 1.01,
  bytesIn: 0,
  bytesOut: 812,
};
out['JSON access-log line (pino)'] = nsPerCall(() => logger.info(accessLogRecord(entry)), 200_000);
for (const [k, v] of Object.entries(out)) console.log(`${k}: ${v.toFixed(0)} ns per request`);
