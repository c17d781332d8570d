/**
 * `af-routes serve` and SPEC 11: the access log names the chosen target and the attempts of a
 * multi-target route, and each target's health changes are printed (from the routing events).
 */
import { describe, expect, it } from 'vitest';
import { startGateway } from '../src/cli/gateway-server.js';
import { compile } from '../src/index.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { closedPort, eventually, rawRequest, startServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

describe('serve and upstreams', () => {
  it('prints the target, the attempts and each health change', async () => {
    const good = await track(startServer((_req, res) => res.end('ok')));
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const lines: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s) };
    const router = compile({ '/api/*': { targets: [dead, good.url], healthCheck: { passive: { consecutiveFailures: 2 } } }, '/one/*': good.url }, { backend: 'js' });
    const gw = await track(startGateway({ router: () => router, host: '127.0.0.1', port: 0, io: io as never }));
    for (let i = 0; i < 6; i++) expect((await rawRequest(gw.url, { path: '/api/x' })).status).toBe(200);
    expect((await rawRequest(gw.url, { path: '/one/x' })).status).toBe(200);
    await eventually(() => lines.filter((l) => l.includes(' GET ')).length === 7);
    const text = lines.join('\n');
    expect(text).toMatch(new RegExp(` GET /api/x -> /api/\\* 200 upstream=200 [\\d.]+ms target=${good.url} attempts=2\\n`));
    expect(text).toContain(`upstream ${dead} of /api/*: ejected for 30s after consecutive failures`);
    expect(text).toContain(`upstream ${dead} of /api/*: unhealthy (passive check)`);
    // A single-target route's line stays as it was.
    expect(text).toMatch(/ GET \/one\/x -> \/one\/\* 200 upstream=200 [\d.]+ms(\n|$)/);
  });
});
