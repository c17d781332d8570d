/**
 * Route tables and request-path corpora for the benchmarks.
 *
 * Every table is written once in this project's syntax (SPEC section 2) as a list of patterns;
 * bench/peers.mjs translates it into each peer's syntax. Every corpus is made of DISTINCT
 * paths (distinct parameter values, distinct catch-all remainders) generated from a seeded
 * PRNG, so runs are reproducible and no router is flattered by replaying a few strings.
 * Static hits are necessarily limited to the table's static routes (a static route has one
 * path); those are cycled.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** mulberry32: small, fast, seeded. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A path generator with a distinctness guarantee: every token it hands out embeds a serial
 * number, so two generated paths never share parameter values by accident.
 */
export function tokens(seed) {
  const rnd = prng(seed);
  let serial = 0;
  const alpha = 'abcdefghijklmnopqrstuvwxyz';
  return {
    rnd,
    pick: (arr) => arr[Math.floor(rnd() * arr.length)],
    int: (n) => Math.floor(rnd() * n),
    /** A distinct word-like token: a few letters, then a base-36 serial. */
    word() {
      let s = '';
      const len = 2 + Math.floor(rnd() * 6);
      for (let i = 0; i < len; i++) s += alpha[Math.floor(rnd() * 26)];
      return s + (serial++).toString(36);
    },
    /** A distinct number-like token. */
    num() {
      return String(1000 + serial++ * 7 + Math.floor(rnd() * 7));
    },
  };
}

/** Fisher-Yates with the given PRNG. */
export function shuffle(arr, rnd) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

/** Makes `count` paths with `gen(i)`, checking they are distinct where `distinct` is set. */
export function generate(count, gen, distinct = true) {
  const out = new Array(count);
  const seen = distinct ? new Set() : null;
  for (let i = 0; i < count; i++) {
    const p = gen(i);
    if (seen) {
      if (seen.has(p)) throw new Error(`corpus generator produced a duplicate path: ${p}`);
      seen.add(p);
    }
    out[i] = p;
  }
  return out;
}

/** Fill a pattern's parameters (`:x`) with fresh tokens; `tail` replaces a trailing `*`. */
export function fill(pattern, t, tail = '') {
  return pattern
    .split('/')
    .map((seg) => (seg.startsWith(':') ? (t.rnd() < 0.5 ? t.word() : t.num()) : seg))
    .join('/')
    .replace(/\/\*$/, tail);
}

// ---------------------------------------------------------------------------------------
// GitHub REST API set (130 routes, no catch-alls)

function githubTable(perKind) {
  const data = JSON.parse(readFileSync(join(here, 'data', 'github-api-routes.json'), 'utf8'));
  const patterns = data.routes.map((r) => r.pattern);
  const statics = patterns.filter((p) => !p.includes(':'));
  const dynamic = patterns.filter((p) => p.includes(':'));
  const t = tokens(0x6117);
  const corpora = {
    static: generate(perKind, (i) => statics[i % statics.length], false),
    param: generate(perKind, () => fill(t.pick(dynamic), t)),
    // No catch-all routes in this table: catch-all hits do not exist.
    miss: generate(perKind, (i) => {
      switch (i % 5) {
        case 0:
          return `/repos/${t.word()}/${t.word()}/${t.pick(['nothing', 'wiki', 'actions', 'pages'])}${t.num()}`;
        case 1:
          return `/users/${t.word()}/${t.pick(['likes', 'projects', 'packages'])}`;
        case 2:
          return `/${t.word()}/${t.word()}`;
        case 3:
          return `/repos/${t.word()}`; // a prefix of many routes, itself no route
        default:
          return `/user/keys/${t.num()}/${t.word()}`;
      }
    }),
  };
  return { name: 'github', title: `GitHub API (${patterns.length} routes)`, patterns, corpora };
}

// ---------------------------------------------------------------------------------------
// Gateway table like the seed's: prefix catch-alls, `/:id` routes, a `/*` default (50 routes)

const GATEWAY_SERVICES = [
  'users',
  'products',
  'orders',
  'carts',
  'payments',
  'inventory',
  'search',
  'reviews',
  'shipping',
  'notifications',
  'auth',
  'billing',
  'analytics',
  'media',
  'catalog',
  'accounts',
  'messages',
  'webhooks',
];

export const GATEWAY_PATTERNS = [
  // static (15)
  '/',
  '/health',
  '/ready',
  '/metrics',
  '/login',
  '/logout',
  '/favicon.ico',
  '/robots.txt',
  '/docs',
  '/api/status',
  '/api/users/me',
  '/api/auth/token',
  '/api/v2/status',
  '/static/app.js',
  '/.well-known/openid-configuration',
  // parameters (12)
  '/api/users/:id',
  '/api/users/:id/orders',
  '/api/users/:id/orders/:order',
  '/api/products/:id',
  '/api/products/:id/reviews',
  '/api/orders/:id',
  '/api/orders/:id/items/:item',
  '/api/carts/:id',
  '/api/v2/users/:id',
  '/profiles/:handle',
  '/invoices/:id/pdf',
  '/api/teams/:team/members/:member',
  // prefix catch-alls (22)
  ...GATEWAY_SERVICES.map((s) => `/api/${s}/*`),
  '/api/v2/*',
  '/api/*',
  '/static/*',
  '/files/:bucket/*',
  // default
  '/*',
];

function gatewayTable(perKind) {
  const patterns = GATEWAY_PATTERNS;
  const statics = patterns.filter((p) => !p.includes(':') && !p.includes('*'));
  const params = patterns.filter((p) => p.includes(':') && !p.includes('*'));
  const t = tokens(0x9a7e);
  const corpora = {
    static: generate(perKind, (i) => statics[i % statics.length], false),
    param: generate(perKind, () => fill(t.pick(params), t)),
    'catch-all': generate(perKind, (i) => {
      switch (i % 6) {
        case 0:
          return `/api/${t.pick(GATEWAY_SERVICES)}/${t.word()}/${t.word()}`;
        case 1:
          return `/api/users/${t.num()}/orders/${t.num()}/items`; // backtracks to /api/users/*
        case 2:
          return `/static/${t.word()}/${t.word()}.js`;
        case 3:
          return `/files/${t.word()}/${t.word()}/${t.word()}.png`;
        case 4:
          return `/api/v2/${t.word()}/${t.num()}`;
        default:
          return `/api/${t.word()}/${t.num()}`; // unknown service -> /api/*
      }
    }),
    // Nothing but the default route matches: these fall through to `/*`.
    miss: generate(perKind, (i) => {
      switch (i % 4) {
        case 0:
          return `/about/${t.word()}`;
        case 1:
          return `/blog/${t.word()}/${t.num()}`;
        case 2:
          return `/apix${t.num()}/${t.word()}`;
        default:
          return `/profiles/${t.word()}/${t.word()}`; // param branch fails, backtracks to /*
      }
    }),
  };
  return { name: 'gateway', title: `Gateway (${patterns.length} routes)`, patterns, corpora };
}

// ---------------------------------------------------------------------------------------
// Multi-tenant table: 4 routes per tenant plus a `/*` default

/** Exactly `routes` patterns: tenant routes (4 per tenant, the last tenant may have fewer) and `/*`. */
export function tenantPatterns(routes) {
  const patterns = [];
  let n = 0;
  for (; patterns.length < routes - 1; n++) {
    const own = [`/t${n}/health`, `/t${n}/users/:id`, `/t${n}/users/:id/orders/:order`, `/t${n}/api/*`];
    patterns.push(...own.slice(0, routes - 1 - patterns.length));
  }
  patterns.push('/*');
  return { patterns, tenants: n };
}

/**
 * The multi-tenant corpora for `tenants` tenants (tenant ids 0..tenants-1), `perKind` distinct
 * paths per kind from `seed`: also bench/tier-crossover.mjs's small tenant tables.
 */
export function tenantCorpora(tenants, perKind, seed) {
  const t = tokens(seed);
  const tenant = () => t.int(tenants);
  return {
    static: generate(perKind, (i) => `/t${i % tenants}/health`, false),
    param: generate(perKind, (i) => (i % 2 === 0 ? `/t${tenant()}/users/${t.num()}` : `/t${tenant()}/users/${t.word()}/orders/${t.num()}`)),
    'catch-all': generate(perKind, (i) => (i % 3 === 0 ? `/t${tenant()}/api/${t.word()}` : `/t${tenant()}/api/${t.word()}/${t.num()}/${t.word()}`)),
    // Fall through to `/*`, several after walking (and backtracking) deep into a tenant.
    miss: generate(perKind, (i) => {
      switch (i % 4) {
        case 0:
          return `/t${tenant()}/users/${t.num()}/orders`;
        case 1:
          return `/t${tenant()}/nothing/${t.word()}`;
        case 2:
          return `/t${tenants + t.int(1_000_000)}-${t.num()}/users/1`;
        default:
          return `/${t.word()}/${t.num()}`;
      }
    }),
  };
}

function tenantTable(perKind) {
  const { patterns, tenants } = tenantPatterns(10_001);
  const corpora = tenantCorpora(tenants, perKind, 0x7e4a);
  return { name: 'tenants', title: `Multi-tenant (${patterns.length} routes)`, patterns, corpora };
}

/**
 * Request paths packed into one latin1 Buffer with their offsets (`offsets[i]..offsets[i+1]`), so
 * a timing loop can cut a FRESH string per lookup just before its batch, as Node's HTTP parser
 * hands a path over, instead of replaying corpus strings whose hashes are cached.
 */
export function packPaths(paths) {
  const packed = Buffer.from(paths.join(''), 'latin1');
  const offsets = new Int32Array(paths.length + 1);
  for (let i = 0, o = 0; i <= paths.length; i++) {
    offsets[i] = o;
    if (i < paths.length) o += paths[i].length;
  }
  return { packed, offsets };
}

/** Builds a table by name; `perKind` distinct paths per kind; `mixed` is their shuffled union. */
export function buildTable(name, perKind) {
  const table = name === 'github' ? githubTable(perKind) : name === 'gateway' ? gatewayTable(perKind) : name === 'tenants' ? tenantTable(perKind) : null;
  if (!table) throw new Error(`unknown table ${name}`);
  const all = [];
  for (const list of Object.values(table.corpora)) all.push(...list);
  table.corpora.mixed = shuffle(all, prng(0x5eed));
  const distinct = new Set(all).size;
  table.distinct = distinct;
  return table;
}

/** Path-only tables: every router answers `match(path)` (tables of route objects: request-tables.mjs). */
export const TABLES = ['github', 'gateway', 'tenants'];

/** Our route table object (pattern -> target) for a list of patterns. */
export function routesObject(patterns) {
  const routes = {};
  patterns.forEach((p, i) => {
    routes[p] = `http://svc${i % 97}.internal:8080`;
  });
  return routes;
}
