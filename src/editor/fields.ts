/**
 * The form of a variant: every field of SPEC 10-12, described once (label, kind, where it is
 * shown) with how a typed text becomes the JSON value and back. The element renders these;
 * validation (the core's `validateRoutes`) decides what is valid, so parsing here is lenient:
 * text that is not a number stays text, and the issue next to the field says what to write.
 */

export type FieldKind =
  | 'text'
  | 'number'
  /** Milliseconds or "250ms"/"15s": digits alone become a number. */
  | 'duration'
  /** Bytes or "64KB": digits alone become a number. */
  | 'size'
  /** Comma-separated strings. */
  | 'list'
  /** Comma-separated; whole numbers become numbers (retry.on statuses). */
  | 'statuses'
  /** One value as a string, several as a list (host, issuer, audience). */
  | 'oneOrList'
  /** `name: value` lines into an object of strings. */
  | 'pairs'
  /** A JSON value typed as JSON (a JWK). */
  | 'json'
  | 'select';

export interface FieldSpec {
  /** Path inside the variant (`retry.attempts`): also the issue's `field`. */
  path: string;
  label: string;
  kind: FieldKind;
  /** Shown under the label: what to write. */
  help?: string;
  placeholder?: string;
  /** For `select`: value and label; '' means "absent". */
  options?: readonly (readonly [string, string])[];
  /** Shown only when this holds for the variant (auth fields by auth type, ...). */
  when?: (variant: Record<string, unknown>) => boolean;
}

export interface FieldGroup {
  id: string;
  legend: string;
  /** Open by default when the variant has any of the group's fields. */
  fields: readonly FieldSpec[];
}

const authType = (v: Record<string, unknown>): unknown => (v.auth as { type?: unknown } | undefined)?.type;
const isAuth = (t: string) => (v: Record<string, unknown>) => authType(v) === t;
const cacheIsObject = (v: Record<string, unknown>) => typeof v.cache === 'object' && v.cache !== null;
const lbIsHash = (v: Record<string, unknown>) => typeof v.loadBalancer === 'object' && v.loadBalancer !== null;

/** Conditions (SPEC 10.1) are edited as rows (see the element); these are the rest. */
export const GROUPS: readonly FieldGroup[] = [
  {
    id: 'conditions',
    legend: 'Conditions',
    fields: [
      { path: 'methods', label: 'Methods', kind: 'list', placeholder: 'GET, POST', help: 'Upper case, comma-separated; GET implies HEAD. Empty: any method.' },
      { path: 'host', label: 'Host', kind: 'oneOrList', placeholder: 'api.example.com, *.example.com', help: 'Comma-separated; *.example.com matches subdomains only.' },
    ],
  },
  {
    id: 'upstream',
    legend: 'Upstream',
    fields: [
      {
        path: 'loadBalancer',
        label: 'Load balancer',
        kind: 'select',
        options: [
          ['', 'default (round-robin)'],
          ['round-robin', 'round-robin'],
          ['least-request', 'least-request'],
          ['random', 'random'],
          ['hash', 'consistent hash'],
        ],
      },
      { path: 'loadBalancer.hash', label: 'Hash key', kind: 'text', placeholder: 'ip, header:x-user, cookie:sid, query:u, param:id', when: lbIsHash },
      { path: 'timeout', label: 'Timeout', kind: 'duration', placeholder: '30s', help: 'Until the response headers, retries included.' },
      { path: 'idleTimeout', label: 'Idle timeout', kind: 'duration', placeholder: '60s', help: 'Longest gap inside a response body.' },
      { path: 'retry.attempts', label: 'Retry attempts', kind: 'number', placeholder: '0-5' },
      { path: 'retry.on', label: 'Retry on', kind: 'statuses', placeholder: 'connect-failure, reset, timeout, gateway-error, 503' },
      { path: 'retry.methods', label: 'Retry methods', kind: 'list', placeholder: 'GET, HEAD, OPTIONS, PUT, DELETE, TRACE' },
      { path: 'retry.perTryTimeout', label: 'Per-try timeout', kind: 'duration', placeholder: '5s' },
      { path: 'retry.bufferLimit', label: 'Retry buffer limit', kind: 'size', placeholder: '64KB' },
      { path: 'healthCheck.passive.consecutiveFailures', label: 'Eject after failures in a row', kind: 'number', placeholder: '5' },
      { path: 'healthCheck.passive.baseEjection', label: 'Base ejection time', kind: 'duration', placeholder: '30s' },
      { path: 'healthCheck.passive.maxEjectedPercent', label: 'Max ejected %', kind: 'number', placeholder: '50' },
      { path: 'healthCheck.active.path', label: 'Active check path', kind: 'text', placeholder: '/healthz', help: 'Set it to turn active health checks on.' },
      { path: 'healthCheck.active.interval', label: 'Check interval', kind: 'duration', placeholder: '10s' },
      { path: 'healthCheck.active.timeout', label: 'Check timeout', kind: 'duration', placeholder: '2s' },
      { path: 'healthCheck.active.healthyThreshold', label: 'Healthy threshold', kind: 'number', placeholder: '2' },
      { path: 'healthCheck.active.unhealthyThreshold', label: 'Unhealthy threshold', kind: 'number', placeholder: '3' },
      { path: 'healthCheck.active.expectStatus', label: 'Expected status', kind: 'text', placeholder: '200-399' },
    ],
  },
  {
    id: 'policies',
    legend: 'Policies',
    fields: [
      {
        path: 'auth.type',
        label: 'Authentication',
        kind: 'select',
        options: [
          ['', 'none'],
          ['apiKey', 'API key'],
          ['jwt', 'JWT'],
          ['forward', 'forward auth'],
        ],
      },
      {
        path: 'auth.in',
        label: 'Key in',
        kind: 'select',
        options: [
          ['', 'header (default)'],
          ['header', 'header'],
          ['query', 'query'],
        ],
        when: isAuth('apiKey'),
      },
      { path: 'auth.name', label: 'Key name', kind: 'text', placeholder: 'x-api-key', when: isAuth('apiKey') },
      { path: 'auth.keys', label: 'Key hashes', kind: 'list', placeholder: 'sha256:<64 hex>', help: 'SHA-256 of each key, never the key itself.', when: isAuth('apiKey') },
      { path: 'auth.issuer', label: 'Issuer', kind: 'oneOrList', when: isAuth('jwt') },
      { path: 'auth.audience', label: 'Audience', kind: 'oneOrList', when: isAuth('jwt') },
      { path: 'auth.jwksUri', label: 'JWKS URI', kind: 'text', placeholder: 'https://id.example.com/.well-known/jwks.json', when: isAuth('jwt') },
      { path: 'auth.publicKey', label: 'Public key (JWK, JSON)', kind: 'json', when: isAuth('jwt') },
      { path: 'auth.algorithms', label: 'Algorithms', kind: 'list', placeholder: 'RS256, ES256', when: isAuth('jwt') },
      { path: 'auth.clockTolerance', label: 'Clock tolerance', kind: 'duration', placeholder: '5s', when: isAuth('jwt') },
      { path: 'auth.forwardClaims', label: 'Forward claims', kind: 'pairs', placeholder: 'sub: x-user-id', help: 'One "claim: header" per line.', when: isAuth('jwt') },
      { path: 'auth.url', label: 'Auth service URL', kind: 'text', placeholder: 'https://auth.svc/check', when: isAuth('forward') },
      { path: 'auth.requestHeaders', label: 'Headers sent to it', kind: 'list', placeholder: 'authorization, cookie', when: isAuth('forward') },
      { path: 'auth.responseHeaders', label: 'Headers taken back', kind: 'list', placeholder: 'x-user-id', when: isAuth('forward') },
      { path: 'rateLimit.requests', label: 'Rate limit: requests', kind: 'number', placeholder: '100' },
      { path: 'rateLimit.per', label: 'Rate limit: per', kind: 'duration', placeholder: '1m' },
      { path: 'rateLimit.burst', label: 'Rate limit: burst', kind: 'number' },
      { path: 'rateLimit.key', label: 'Rate limit: key', kind: 'text', placeholder: 'ip, header:x-user, jwt:sub, route' },
      {
        path: 'cache',
        label: 'Cache',
        kind: 'select',
        options: [
          ['', 'off'],
          ['true', 'on (defaults)'],
          ['custom', 'on, with settings'],
        ],
      },
      { path: 'cache.ttl', label: 'Cache TTL', kind: 'duration', placeholder: '60s', when: cacheIsObject },
      { path: 'cache.methods', label: 'Cached methods', kind: 'list', placeholder: 'GET, HEAD', when: cacheIsObject },
      { path: 'cache.maxEntrySize', label: 'Max cached entry', kind: 'size', placeholder: '1MB', when: cacheIsObject },
      { path: 'requestHeaders.set', label: 'Request headers: set', kind: 'pairs', placeholder: 'x-env: prod' },
      { path: 'requestHeaders.add', label: 'Request headers: add', kind: 'pairs' },
      { path: 'requestHeaders.remove', label: 'Request headers: remove', kind: 'list', placeholder: 'cookie' },
      { path: 'responseHeaders.set', label: 'Response headers: set', kind: 'pairs' },
      { path: 'responseHeaders.add', label: 'Response headers: add', kind: 'pairs' },
      { path: 'responseHeaders.remove', label: 'Response headers: remove', kind: 'list', placeholder: 'server' },
    ],
  },
];

/** Top-level fields a form edits (the rest is reported at the variant: an unknown field, say). */
export const FORM_FIELDS = new Set(['name', 'target', 'targets', 'headers', 'query', ...GROUPS.flatMap((g) => g.fields.map((f) => f.path))]);

const split = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Any JSON value as text: strings as they are, the rest as JSON (never "[object Object]"). */
export function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? String(value as never);
}

/** A field's text as typed → its JSON value (`undefined`: absent). */
export function parseField(kind: FieldKind, text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  switch (kind) {
    case 'text':
    case 'select':
      return t;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
    case 'duration':
    case 'size':
      return /^\d+$/.test(t) ? Number(t) : t;
    case 'list':
      return split(t);
    case 'statuses':
      return split(t).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    case 'oneOrList': {
      const items = split(t);
      return items.length === 1 ? items[0] : items;
    }
    case 'pairs': {
      const out: Record<string, string> = {};
      for (const line of t.split('\n')) {
        const colon = line.indexOf(':');
        if (line.trim() === '') continue;
        if (colon < 0) out[line.trim()] = '';
        else out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      return out;
    }
    case 'json':
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return t; // validation reports a string where a JWK belongs
      }
  }
}

/** A JSON value → the text its field shows. */
export function formatField(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (kind) {
    case 'list':
    case 'statuses':
    case 'oneOrList':
      return Array.isArray(value) ? value.map(display).join(', ') : display(value);
    case 'pairs':
      return typeof value === 'object'
        ? Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${display(v)}`)
            .join('\n')
        : display(value);
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    default:
      return display(value);
  }
}
