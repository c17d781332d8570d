/**
 * Tables of route objects (SPEC section 10) and their corpora of REQUESTS: a path plus the
 * request object that `router.match(path, request)` reads (method, headers).
 *
 *  - `github-methods`: the GitHub API with its real methods (bench/data/github-api-methods.json,
 *    203 method+path pairs on 142 patterns), against the peers given the same methods.
 *  - `gateway-conditions`: the gateway table of tables.mjs with host and header conditions and
 *    `:id([0-9]+)`-style constraints, timed next to the SAME table without them (ours only):
 *    the per-lookup cost of conditions.
 *
 * Same rules as tables.mjs: every corpus is made of DISTINCT paths (seeded PRNG, a serial in
 * every token), static hits excepted (a static route has one path; cycled). Each table carries
 * `requests[kind]`, aligned with `corpora[kind]`; the harness times each lookup on a
 * `freshRequest` copy of it made with its batch (untimed), as the path string is. Route ids
 * (what every implementation answers, -1 for no match) are per variant, so "same route" means same pattern AND same variant.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { GATEWAY_PATTERNS, buildTable, fill, generate, prng, routesObject, shuffle, tokens } from './tables.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export const REQUEST_TABLES = ['github-methods', 'gateway-conditions'];

/**
 * A fresh copy of a corpus request, made untimed with the batch that uses it (bench/lookup.mjs,
 * and request-ab.mjs with AB_FRESH_REQUESTS=1), for every implementation alike. Why: a server's
 * `req` (and its headers record) is allocated by the HTTP parser for that request, so it sits in
 * the cache when the router reads it; the corpus's own objects, built once and visited in
 * shuffled order, cost a cache miss per lookup, which models no server. The method and header
 * values are the same strings (Node's parser hands over the method as a constant).
 */
export const freshRequest = (q) => (q.headers === undefined ? { ...q } : { ...q, headers: { ...q.headers } });

/** The shuffled union of every corpus, requests kept aligned with their paths. */
function mixed(table) {
  const paths = [];
  const requests = [];
  for (const kind of Object.keys(table.corpora)) {
    paths.push(...table.corpora[kind]);
    requests.push(...table.requests[kind]);
  }
  const order = shuffle(
    paths.map((_, i) => i),
    prng(0x5eed),
  );
  table.corpora.mixed = order.map((i) => paths[i]);
  table.requests.mixed = order.map((i) => requests[i]);
  table.distinct = new Set(paths.map((p, i) => `${requests[i].method} ${p}`)).size;
  return table;
}

// ---------------------------------------------------------------------------------------
// GitHub API with methods

/** Methods a request may carry; PATCH is in no route of the set, so it always makes a 405. */
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** One entry per (pattern, variant): the id every implementation answers with. */
export function methodVariants(routes) {
  const variants = [];
  const base = [];
  Object.entries(routes).forEach(([pattern, value], routeIndex) => {
    base.push(variants.length);
    (Array.isArray(value) ? value : [value]).forEach((v, variantIndex) => {
      if (!v.methods || v.methods.length !== 1) throw new Error(`${pattern}: this benchmark expects one method per variant`);
      variants.push({ pattern, method: v.methods[0], routeIndex, variantIndex });
    });
  });
  return { variants, base: Int32Array.from(base) };
}

function githubMethodsTable(perKind) {
  const data = JSON.parse(readFileSync(join(here, 'data', 'github-api-methods.json'), 'utf8'));
  const { variants, base } = methodVariants(data.routes);
  const methodsOf = new Map();
  for (const v of variants) methodsOf.set(v.pattern, [...(methodsOf.get(v.pattern) ?? []), v.method]);
  const staticVariants = variants.filter((v) => !v.pattern.includes(':'));
  const paramVariants = variants.filter((v) => v.pattern.includes(':'));
  const paramPatterns = [...methodsOf.keys()].filter((p) => p.includes(':'));
  const t = tokens(0x6117);
  const corpora = {};
  const requests = {};
  const add = (kind, count, gen, distinct = true) => {
    const reqs = [];
    corpora[kind] = generate(
      count,
      (i) => {
        const [method, path] = gen(i);
        reqs.push({ method });
        return path;
      },
      distinct,
    );
    requests[kind] = reqs;
  };
  add(
    'static',
    perKind,
    (i) => {
      const v = staticVariants[i % staticVariants.length];
      return [v.method, v.pattern];
    },
    false,
  );
  add('param', perKind, () => {
    const v = t.pick(paramVariants);
    return [v.method, fill(v.pattern, t)];
  });
  // 405: a path some pattern matches, with a method none of its variants has.
  add('not-allowed', perKind >> 2, () => {
    const pattern = t.pick(paramPatterns);
    const own = methodsOf.get(pattern);
    const method = t.pick(METHODS.filter((m) => !own.includes(m)));
    return [method, fill(pattern, t)];
  });
  add('miss', perKind, (i) => {
    const method = t.rnd() < 0.7 ? 'GET' : t.pick(METHODS);
    switch (i % 5) {
      case 0:
        return [method, `/repos/${t.word()}/${t.word()}/${t.pick(['nothing', 'wiki', 'actions', 'pages'])}${t.num()}`];
      case 1:
        return [method, `/users/${t.word()}/${t.pick(['likes', 'projects', 'packages'])}`];
      case 2:
        return [method, `/${t.word()}/${t.word()}`];
      case 3:
        return [method, `/repos/${t.word()}`];
      default:
        return [method, `/user/keys/${t.num()}/${t.word()}`];
    }
  });
  const isStatic = (id) => id >= 0 && !variants[id].pattern.includes(':');
  return mixed({
    name: 'github-methods',
    family: 'methods',
    title: `GitHub API with methods (${variants.length} method+path pairs, ${base.length} routes)`,
    routes: data.routes,
    patterns: Object.keys(data.routes),
    variants,
    base,
    corpora,
    requests,
    describe: (id) => (id < 0 ? null : `${variants[id].method} ${variants[id].pattern}`),
    /** Each corpus should hold what its name says, by our own router's answer. */
    kindOk(kind, id, p, q, router) {
      if (kind === 'static') return isStatic(id);
      if (kind === 'param') return id >= 0 && !isStatic(id);
      if (kind === 'not-allowed') return id === -1 && router.allowedMethods(p, q).length > 0;
      if (kind === 'miss') return id === -1 && router.allowedMethods(p, q).length === 0;
      return true;
    },
  });
}

// ---------------------------------------------------------------------------------------
// Gateway table with host and header conditions and constrained parameters

const API_HOSTS = ['api.example.com', '*.api.example.com'];

/**
 * The gateway table of tables.mjs (same patterns, same order, same targets) as a user adds
 * conditions to it: numeric ids constrained, the service catch-alls bound to the API host, a
 * beta variant by header, a bearer-token check, a tenant header checked by regex, static files
 * on the web host. Requests that fail a condition fall through to the next candidate
 * (`/api/*`, `/api/users/*`, `/*`), so the table also times that backtracking.
 */
export function conditionedGateway() {
  const plain = routesObject(GATEWAY_PATTERNS);
  const routes = {};
  for (const [pattern, target] of Object.entries(plain)) {
    let p = pattern;
    if (/^\/(api\/(users|orders)|invoices)\//.test(p)) p = p.replace(':id', ':id([0-9]+)');
    p = p.replace(':order', ':order([0-9]+)').replace(':item', ':item([0-9]+)');
    if (p === '/api/products/:id') p = '/api/products/:id([a-z0-9]{1,32})';
    if (p === '/profiles/:handle') p = '/profiles/:handle([a-z][a-z0-9]{0,38})';
    let value = target;
    if (/^\/api\/[a-z]+\/\*$/.test(p) && p !== '/api/v2/*') value = { host: API_HOSTS, target };
    else if (p === '/api/*' || p === '/api/orders/:id([0-9]+)') value = [{ headers: { 'x-beta': '1' }, target: 'http://beta.internal:8080' }, target];
    else if (p === '/api/users/me') value = { headers: { authorization: { prefix: 'Bearer ' } }, target };
    else if (p === '/api/teams/:team/members/:member') value = { headers: { 'x-tenant': { regex: 'tenant-[0-9]+' } }, target };
    else if (p === '/static/*' || p === '/static/app.js') value = { host: ['www.example.com', 'static.example.com'], target };
    else if (p === '/metrics' || p === '/.well-known/openid-configuration') value = { host: API_HOSTS, target };
    routes[p] = value;
  }
  return { routes, plain };
}

function gatewayConditionsTable(perKind) {
  const base = buildTable('gateway', perKind);
  const { routes, plain } = conditionedGateway();
  const rnd = prng(0xc0de);
  let serial = 0;
  // A Node headers record, as `router.match(path, { method: req.method, headers: req.headers })`
  // gets it: most requests on the API host, some on the web host; optional headers vary.
  const request = () => {
    const headers = { host: rnd() < 0.8 ? 'api.example.com' : 'www.example.com', 'user-agent': 'bench/1.0', accept: 'application/json' };
    if (rnd() < 0.5) headers.authorization = `Bearer t${serial++}`;
    if (rnd() < 0.2) headers['x-beta'] = '1';
    if (rnd() < 0.5) headers['x-tenant'] = rnd() < 0.8 ? `tenant-${serial++}` : `guest-${serial++}`;
    return { method: 'GET', headers };
  };
  const corpora = {};
  const requests = {};
  for (const kind of Object.keys(base.corpora)) {
    if (kind === 'mixed') continue;
    corpora[kind] = base.corpora[kind];
    requests[kind] = corpora[kind].map(request);
  }
  const patterns = Object.keys(routes);
  return mixed({
    name: 'gateway-conditions',
    family: 'conditions',
    title: `Gateway with host/header conditions and constrained parameters (${patterns.length} routes)`,
    routes,
    plainRoutes: plain,
    patterns,
    corpora,
    requests,
    describe: (id) => (id < 0 ? null : `${patterns[id >> 5]}#${(id & 31) + 1}`),
    kindOk: () => true, // the conditions decide which route wins: no fixed expectation per kind
  });
}

export function buildRequestTable(name, perKind) {
  if (name === 'github-methods') return githubMethodsTable(perKind);
  if (name === 'gateway-conditions') return gatewayConditionsTable(perKind);
  throw new Error(`unknown table ${name}`);
}
