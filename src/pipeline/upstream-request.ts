/**
 * `buildProxyRequest(match, incoming, options)`: what a matched request becomes upstream
 * (SPEC section 8): the pipeline step after routing. Pure and transport-neutral: the Node
 * proxy, the fetch handler, the runtime and the adapters all go through it.
 */
import type { RouteMatch } from '../match/types.js';
import type { CompiledTarget } from '../table/route.js';
import type { TargetTemplate } from '../target/template.js';
import { buildForwardUrl } from '../target/url.js';
import { endToEndFromRaw, endToEndHeaders, firstValue, isFlatRawHeaders, toHeaderRecord, type HeaderRecord, type HeadersInput } from './headers.js';

/** The request as it arrived at the proxy. */
export interface IncomingRequest<B = unknown> {
  /** The method as sent (`GET`, `POST`, ...). */
  method: string;
  /** The normalized request's query without `?` (`normalizePath(...).query`); '' or absent when none. */
  query?: string;
  /** The request's headers, in any shape `HeadersInput` names. */
  headers: HeadersInput;
  /** The client's address (`req.socket.remoteAddress`): appended to X-Forwarded-For. */
  clientAddress?: string | null;
  /** The scheme the client used: `http` (default) or `https`. Sets X-Forwarded-Proto. */
  protocol?: string;
  /** The host the client asked for, when the headers hold no `Host` (fetch `Request`s often do not). */
  host?: string | null;
  /** The body: passed through untouched (a stream, bytes, or null). */
  body?: B;
}

export interface ProxyRequestOptions {
  /** Add X-Forwarded-For/-Host/-Proto (default true). */
  xForwarded?: boolean;
  /**
   * Keep X-Forwarded-Host/-Proto that arrived with the request instead of setting them from
   * this hop (default false: only when the proxy sits behind another trusted proxy).
   */
  trustForwardedHeaders?: boolean;
}

/** What to send upstream. */
export interface ProxyRequest<B = unknown> {
  /** The forwarded URL (`buildForwardUrl`). */
  url: string;
  /** Scheme, host and port of the target: the connection pool key. */
  origin: string;
  /** The request-target sent upstream: path and query. */
  path: string;
  /** The target's host (with a non-default port): sent as `Host`. */
  host: string;
  method: string;
  /** Lower-case names; repeated headers as arrays. */
  headers: HeaderRecord;
  body: B | undefined;
}

/** `::ffff:10.1.2.3` (a dual-stack socket's view of an IPv4 client) as `10.1.2.3`. */
function clientAddressText(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}

/**
 * The last target's constants, hoisted out of the request path: its `Host` and a copy of its
 * template without the origin, so `buildForwardUrl` returns the request-target (path and query)
 * and the URL is the origin plus it, with no slice of a freshly joined string (which V8 must
 * flatten first). One entry, keyed by the template object (compiled, never changed): most
 * proxies send most requests to one target, and a miss only costs what every request cost.
 */
let lastTemplate: TargetTemplate | null = null;
let lastHost = '';
let lastLocal: TargetTemplate | null = null;

function useTemplate(template: TargetTemplate): void {
  if (template === lastTemplate) return;
  const origin = template.origin;
  lastHost = origin.slice(origin.indexOf('//') + 2);
  lastLocal = { ...template, origin: '' };
  lastTemplate = template;
}

/** `http`, `https` as they are; anything else lower case and without a trailing `:` (`HTTPS:`). */
function protoText(protocol: string): string {
  if (protocol === 'http' || protocol === 'https') return protocol;
  return (protocol.endsWith(':') ? protocol.slice(0, -1) : protocol).toLowerCase();
}

/**
 * Builds the upstream request for a match, to `target` (one of the variant's targets, chosen
 * by the balancer; default the serving variant's first). Never throws for any header input.
 */
export function buildProxyRequest<B = unknown>(match: RouteMatch, incoming: IncomingRequest<B>, options: ProxyRequestOptions = {}, target?: CompiledTarget): ProxyRequest<B> {
  const template = target?.template ?? match.variant.targets[0]!.template;
  const origin = template.origin;
  useTemplate(template);
  const host = lastHost;
  // The request-target: buildForwardUrl's URL without the origin (SPEC 6: the origin is always the target's).
  const requestTarget = buildForwardUrl(match, incoming.query ?? '', lastLocal!);
  const path = requestTarget === '' ? '/' : requestTarget;
  let headers: HeaderRecord;
  let hostHeader: string | undefined;
  let authority: string | undefined;
  if (isFlatRawHeaders(incoming.headers)) {
    // Node's rawHeaders (the Node proxy's every request): one pass, one record.
    const raw = endToEndFromRaw(incoming.headers);
    headers = raw.headers;
    hostHeader = raw.host;
    authority = raw.authority;
  } else {
    const all = toHeaderRecord(incoming.headers);
    headers = endToEndHeaders(all);
    hostHeader = firstValue(all['host']);
    authority = firstValue(all[':authority']);
  }
  headers['host'] = host;
  // HTTP/2 clients may split Cookie into one field per pair (RFC 9113 8.2.3); an HTTP/1.1
  // upstream must get them as one line, joined with "; " (as Node's own req.headers does).
  const cookie = headers['cookie'];
  if (cookie !== undefined && typeof cookie !== 'string') headers['cookie'] = cookie.join('; ');

  if (options.xForwarded !== false) {
    const trust = options.trustForwardedHeaders === true;
    const client = incoming.clientAddress ? clientAddressText(incoming.clientAddress) : '';
    const prior = headers['x-forwarded-for'];
    const priorText = prior === undefined ? '' : typeof prior === 'string' ? prior : prior.join(', ');
    if (client !== '') headers['x-forwarded-for'] = priorText !== '' ? priorText + ', ' + client : client;
    else if (priorText !== '') headers['x-forwarded-for'] = priorText;

    // An HTTP/2 client names the host in `:authority` (RFC 9113 8.3.1), usually without `Host`.
    const originalHost = hostHeader ?? authority ?? incoming.host ?? undefined;
    if (!(trust && headers['x-forwarded-host'] !== undefined)) {
      if (originalHost) headers['x-forwarded-host'] = originalHost;
      else delete headers['x-forwarded-host'];
    }
    if (!(trust && headers['x-forwarded-proto'] !== undefined)) {
      headers['x-forwarded-proto'] = protoText(incoming.protocol ?? 'http');
    }
  }

  return { url: origin + requestTarget, origin, path, host, method: incoming.method, headers, body: incoming.body };
}
