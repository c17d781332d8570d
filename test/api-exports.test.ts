/**
 * The public surface is a decision (docs/api.md): these lists pin what `.` and `./browser`
 * export, values and types, so adding, renaming or dropping an export fails here until the
 * list and docs/api.md say so. Types are read with the TypeScript compiler from the entries'
 * sources (what the bundled .d.ts declares); and no public declaration may name a type of the
 * package that neither entry exports (a user could see it but not import it).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as main from '../src/index.js';
import * as portable from '../src/browser.js';
import { ERROR_MESSAGES } from '../src/pipeline/errors.js';
import { surfaceOf } from './support/exports.js';
import type { RouteObject, Routes, RouteValue } from '../src/index.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** `./browser`: runs anywhere (no Node built-in, no undici). */
const BROWSER_VALUES = [
  // The table: compile, validate, explain, JSON Schema.
  'compile',
  'validateRoutes',
  'assertValidRoutes',
  'RoutesValidationError',
  'explain',
  'routesInPrecedenceOrder',
  'routesJsonSchema',
  'createRoutesJsonSchema',
  'DEFAULT_LIMITS',
  // Paths and targets.
  'normalizePath',
  'buildForwardUrl',
  // The fetch-standard gateway and runtime.
  'createFetchHandler',
  'createFetchTransport',
  'createRuntimeRouter',
  'createHonoMiddleware',
  'checkAddress',
  'OutboundBlockedError',
  'DEFAULT_TIMEOUTS',
  // Upstream state (SPEC 11).
  'createUpstreamRegistry',
  // Per-route policies (SPEC 12): the in-process rate-limit store.
  'createMemoryRateLimitStore',
];

const BROWSER_TYPES = [
  // The table as written.
  'Routes',
  'RouteValue',
  'RouteObject',
  'ValueCondition',
  'HeaderRulesInput',
  'DurationInput',
  'SizeInput',
  // Options, results, issues.
  'CompileOptions',
  'MatchOptions',
  'ResolvedMatchOptions',
  'Limits',
  'BackendChoice',
  'ValidationResult',
  'RouteIssue',
  'IssueCode',
  'JsonSchema',
  'Candidate',
  'Explanation',
  'ExplainOptions',
  'VariantVerdict',
  'FailedCondition',
  'SegmentKind',
  // Matching: the Router interface and what it returns.
  'Router',
  'RouteMatch',
  'MatchRequest',
  'HeadersLike',
  // The compiled table.
  'CompiledRoute',
  'RouteVariant',
  'CompiledTarget',
  'TargetTemplate',
  'TargetPart',
  'FieldCondition',
  'ValueMatcher',
  'HostMatcher',
  'LinearRegex',
  'UpstreamConfig',
  'LoadBalancer',
  'HealthCheckConfig',
  'RetryConfig',
  'PolicyConfig',
  'AuthConfig',
  'RateLimitConfig',
  'CacheConfig',
  'HeaderRules',
  'Duration',
  'Size',
  // Paths.
  'NormalizeOptions',
  'NormalizeResult',
  'NormalizedPath',
  'PathError',
  'PathErrorCode',
  // The fetch gateway.
  'FetchHandler',
  'FetchHandlerOptions',
  'FetchUpgradeHook',
  'FetchUpgradeTarget',
  'FetchTransport',
  'FetchTransportOptions',
  'FetchBody',
  'ClientInfo',
  'ProxyRequest',
  'HeaderRecord',
  'HeaderValue',
  'ProxyCommonOptions',
  'TimeoutOptions',
  'ResolvedTimeouts',
  'RouterSource',
  'AccessLogEntry',
  'ProxyErrorBody',
  'ProxyErrorCode',
  'AddressVerdict',
  'AddressClass',
  // The runtime.
  'RuntimeRouter',
  'RuntimeRouterOptions',
  'RuntimeAccessLogEntry',
  'RouterCacheOptions',
  'RouterCacheStats',
  'LoadedRoutes',
  'FunctionInvocation',
  'InvocationInfo',
  // Adapters.
  'AdapterRoutesOptions',
  'HonoMiddleware',
  'HonoMiddlewareOptions',
  'HonoContextLike',
  // Upstream state (SPEC 11).
  'UpstreamRegistry',
  'UpstreamRegistryOptions',
  'Prober',
  // Per-route policies (SPEC 12).
  'PolicyHostOptions',
  'MemoryRateLimitStoreHandle',
  'MemoryRateLimitStoreOptions',
  'BucketSpec',
  'RateLimitStore',
  'TakeResult',
  // Routing events, metrics and spans.
  'EventSink',
  'RoutingEvent',
  'ProxyObserver',
  'RequestObservation',
  'AttemptObservation',
  'RouteMetrics',
  'RequestRecord',
  'AttemptRecord',
  'HeaderGetter',
];

/** `.` adds what needs Node. */
const NODE_VALUES = [
  'createNodeProxy',
  'createGateway',
  'createUndiciTransport',
  'createNodeRuntimeRouter',
  'createFastifyPlugin',
  'createExpressMiddleware',
  // The af CLI's helpers.
  'parseRoutesOption',
  'RoutesOptionError',
  'loadRoutesFromConfig',
  'ConfigError',
  'CONFIG_FILE_NAMES',
  // Scale-out: Postgres route source, its migration, the Redis rate-limit store.
  'createPostgresRouteSource',
  'postgresMigrationSql',
  'createRedisRateLimitStore',
  'RateLimitStoreError',
  // Metrics and spans (OpenTelemetry API).
  'createProxyObserver',
  'METRIC',
  'DURATION_BUCKETS_SECONDS',
];

const NODE_TYPES = [
  'NodeProxy',
  'NodeProxyOptions',
  'Gateway',
  'GatewayOptions',
  'UndiciTransport',
  'UndiciTransportOptions',
  'UpstreamOptions',
  'NodeRuntimeRouter',
  'NodeRuntimeRouterOptions',
  'FastifyPlugin',
  'FastifyPluginOptions',
  'UpgradeOptions',
  'ExpressMiddleware',
  'NodeAdapterOptions',
  'ConfigErrorCode',
  'ConfigRoutes',
  'RouteCacheOptions',
  'PostgresRouteSource',
  'PostgresRouteSourceOptions',
  'PostgresRouteSourceStats',
  'InvalidationTarget',
  'MigrationOptions',
  'PgPoolLike',
  'PgPoolClientLike',
  'PgQueryResult',
  'PgNotification',
  'RedisRateLimitStore',
  'RedisRateLimitStoreOptions',
  'RedisClientLike',
];

const sorted = (names: readonly string[]) => [...names].sort();

describe('the public API', () => {
  const [mainSurface, browserSurface] = surfaceOf([ROOT + 'src/index.ts', ROOT + 'src/browser.ts']);

  it('./browser exports exactly the listed values and types', () => {
    expect(browserSurface!.values).toEqual(sorted(BROWSER_VALUES));
    expect(browserSurface!.types).toEqual(sorted(BROWSER_TYPES));
    expect(Object.keys(portable).sort()).toEqual(sorted(BROWSER_VALUES));
  });

  it('. exports ./browser plus the listed Node values and types', () => {
    expect(mainSurface!.values).toEqual(sorted([...BROWSER_VALUES, ...NODE_VALUES]));
    expect(mainSurface!.types).toEqual(sorted([...BROWSER_TYPES, ...NODE_TYPES]));
    expect(Object.keys(main).sort()).toEqual(sorted([...BROWSER_VALUES, ...NODE_VALUES]));
  });

  it('no public declaration names a type a user cannot import', () => {
    expect(mainSurface!.dangling).toEqual([]);
    expect(browserSurface!.dangling).toEqual([]);
  });

  it('follows the naming convention: factories are create*, error classes end in Error', () => {
    const functions = Object.entries(main).filter(([, v]) => typeof v === 'function' && !/^[A-Z]/.test(v.name));
    const factories = functions
      .map(([n]) => n)
      .filter(
        (n) =>
          ![
            'compile',
            'validateRoutes',
            'assertValidRoutes',
            'explain',
            'routesInPrecedenceOrder',
            'normalizePath',
            'buildForwardUrl',
            'checkAddress',
            'parseRoutesOption',
            'loadRoutesFromConfig',
            'postgresMigrationSql',
          ].includes(n),
      );
    expect(factories.filter((n) => !n.startsWith('create'))).toEqual([]);
    const classes = Object.entries(main).filter(([n, v]) => typeof v === 'function' && /^[A-Z]/.test(n));
    expect(classes.map(([n]) => n).filter((n) => !n.endsWith('Error'))).toEqual([]);
  });

  it("codes: JSON error bodies kebab-case, an Error subclass's .code Node-style ERR_UPPER_SNAKE", () => {
    const bodyCodes = [...Object.keys(ERROR_MESSAGES), 'path-too-long', 'too-many-segments', 'encoded-slash', 'encoded-nul'];
    expect(bodyCodes.filter((c) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c))).toEqual([]);
    expect(new main.OutboundBlockedError('10.0.0.1', 'private').code).toMatch(/^ERR_[A-Z0-9_]+$/);
  });

  it('types the route-object form (checked by tsc over test/): strings, objects, arrays of both, `as const` tables; a misspelt field is an error', () => {
    expectTypeOf<Routes>().toEqualTypeOf<Record<string, RouteValue>>();
    expectTypeOf<RouteValue>().toEqualTypeOf<string | RouteObject | readonly (string | RouteObject)[]>();
    const table = {
      '/users/*': 'https://users.svc',
      '/orders/*': [
        { name: 'orders-read', methods: ['GET'], targets: ['https://a.svc', { url: 'https://b.svc', weight: 3 }], retry: { attempts: 2 }, cache: true },
        'https://orders.svc',
      ],
      '/files/:id': { target: 'https://files.svc/:id', headers: { 'x-beta': '1', 'x-old': false }, timeout: '15s' },
    } as const satisfies Routes;
    expectTypeOf(table).toMatchTypeOf<Routes>();
    // @ts-expect-error `methds` is not a route object field
    const typo: Routes = { '/a': { target: 'https://a.example', methds: ['GET'] } };
    expect(Object.keys(table)).toHaveLength(3);
    expect(typo).toBeDefined();
  });
});
