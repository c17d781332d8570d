/**
 * `af-routes demo` (and `npm start`): three demo services on 127.0.0.1 that answer JSON
 * echoing what they received, a gateway in front of them with an example table, and curl
 * commands that show routing at work. No network, no set-up beyond the build.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, isAbsolute, join, relative } from 'node:path';
import { explain } from '../match/explain.js';
import { compile } from '../match/router.js';
import type { Io } from './commands.js';
import { formatTable } from './format.js';
import { startGateway, waitForSignal } from './gateway-server.js';

/** Headers the demo services echo back: what a proxy sets or passes through. */
const ECHOED_HEADERS = ['host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'content-type', 'content-length', 'user-agent', 'accept'];
/** The longest request body a demo service echoes (it reads and counts the rest). */
const MAX_ECHO_BODY = 4_096;

export const DEMO_SERVICES = ['users', 'products', 'default'] as const;
export type DemoService = (typeof DEMO_SERVICES)[number];

/**
 * The demo's route table, with each service's origin filled in: the seed's three routes,
 * plus a static route and a parameter route that win over the catch-all beside them.
 */
export function demoRoutes(origins: Record<DemoService, string>): Record<string, string> {
  return {
    '/api/users/me': `${origins.users}/profile`,
    '/api/users/:id/orders': `${origins.users}/accounts/:id/orders`,
    '/api/users/*': origins.users,
    '/api/products/*': origins.products,
    '/*': origins.default,
  };
}

/** The requests the demo suggests, as curl arguments after `curl -s`. */
function demoRequests(gateway: string): { args: string[]; path: string; method?: string }[] {
  return [
    { args: [`${gateway}/api/users/42`], path: '/api/users/42' },
    { args: [`${gateway}/api/users/me`], path: '/api/users/me' },
    { args: [`${gateway}/api/users/42/orders`], path: '/api/users/42/orders' },
    { args: [`'${gateway}/api/products/7?color=red&size=m'`], path: '/api/products/7?color=red&size=m' },
    {
      args: ['-X', 'POST', '-H', "'content-type: application/json'", '-d', `'{"name":"Ada"}'`, `${gateway}/api/users`],
      path: '/api/users',
      method: 'POST',
    },
    { args: [`${gateway}/about/team`], path: '/about/team' },
    { args: ['--path-as-is', `'${gateway}/api/users/../products/1'`], path: '/api/users/../products/1' },
    { args: ['-i', `'${gateway}/files/..%2F..%2Fetc%2Fpasswd'`], path: '/files/..%2F..%2Fetc%2Fpasswd' },
  ];
}

function echo(service: DemoService) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size < MAX_ECHO_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const headers: Record<string, string | string[]> = {};
      for (const name of ECHOED_HEADERS) {
        const v = req.headers[name];
        if (v !== undefined) headers[name] = v;
      }
      const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ECHO_BODY);
      const body = JSON.stringify(
        {
          service,
          received: {
            method: req.method,
            path: q < 0 ? target : target.slice(0, q),
            query: q < 0 ? '' : target.slice(q + 1),
            headers,
            ...(size > 0 ? { body: text, bodyBytes: size } : {}),
          },
        },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-demo-service': service });
      res.end(body + '\n');
    });
    req.on('error', () => res.destroy());
  };
}

async function startService(service: DemoService): Promise<{ server: Server; origin: string }> {
  const server = createServer(echo(service));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** How the user ran this binary, to print commands they can paste. */
function selfCommand(): string {
  const script = process.argv[1] ?? '';
  if (basename(script) === 'af-routes') return 'af-routes';
  const rel = relative(process.cwd(), script);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? `node ${rel}` : 'npx af-routes';
}

/** examples/seed.json when it is here (a clone of the repository), else the same table inline. */
function seedArgument(): string {
  if (existsSync(join('examples', 'seed.json'))) return 'examples/seed.json';
  return `'${JSON.stringify({ '/api/users/*': 'https://users-service.com', '/api/products/*': 'https://products-service.com', '/*': 'https://default.com' })}'`;
}

export async function runDemo(flags: { port?: number | undefined }, io: Io): Promise<number> {
  const services = await Promise.all(DEMO_SERVICES.map(startService));
  const origins = Object.fromEntries(DEMO_SERVICES.map((s, i) => [s, services[i]!.origin])) as Record<DemoService, string>;
  const stopServices = () => Promise.all(services.map((s) => closeServer(s.server)));
  const router = compile(demoRoutes(origins));
  let gateway;
  try {
    gateway = await startGateway({ router: () => router, host: '127.0.0.1', port: flags.port, io });
  } catch (e) {
    await stopServices();
    throw e;
  }

  const lines: string[] = [];
  lines.push('af-routes demo: a gateway in front of three demo services, all on 127.0.0.1 (no network needed).', '');
  lines.push('Demo services (each answers JSON echoing the method, path, query and headers it received):');
  for (const s of DEMO_SERVICES) lines.push(`  ${s.padEnd(9)} ${origins[s]}`);
  lines.push('', 'Route table, in precedence order:');
  lines.push(formatTable(router.routes));
  lines.push('', `Gateway: ${gateway.url}`, '', 'Try these in another terminal (each comment says where the request goes):', '');
  for (const r of demoRequests(gateway.url)) {
    const x = explain(router, r.path);
    let note: string;
    if (!x.normalized.ok) note = `rejected by the gateway with ${x.normalized.status} (${x.normalized.code}): never reaches a service`;
    else if (!x.winner) note = 'no route: 404';
    else {
      const normalized = x.normalized.path !== r.path.split('?')[0] ? `normalized to ${x.normalized.path}, ` : '';
      note = `${normalized}route ${x.winner.pattern} -> ${x.url}`;
    }
    lines.push(`  # ${r.method ? r.method + ' ' : ''}${r.path}: ${note}`);
    lines.push(`  curl -s ${r.args.join(' ')}`, '');
  }
  lines.push('To see why a path goes where it goes, without any server:');
  lines.push(`  ${selfCommand()} match ${seedArgument()} /api/users/42 /about`, '');
  lines.push('Access log (one line per request: method, path, route, status, upstream status, time). Ctrl+C to stop.');
  io.out(lines.join('\n'));

  const signal = await waitForSignal(io);
  io.out(`\n${signal}: shutting down...`);
  await gateway.close();
  await stopServices();
  io.out('Stopped.');
  return 0;
}
