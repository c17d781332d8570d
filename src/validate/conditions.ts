/**
 * A variant's conditions (SPEC 10): `methods`, `host`, `headers`, `query`, validated and
 * normalized to what the matchers read (src/table/route.ts): upper-case methods with `HEAD`
 * beside `GET`, lower-case hosts and header names, matchers with compiled linear-time regexes.
 */
import { compileLinearRegex, isRegexError } from '../regex/linear.js';
import type { FieldCondition, HostMatcher, LinearRegex, ValueMatcher } from '../table/route.js';
import { checkKnown, fail, headerName, HTTP_TOKEN, isPlainObject, list, MAX_NAME_LENGTH, show, sub, type VariantContext } from './context.js';
import type { IssueCode } from './issues.js';

/** Caps that bound the work (and the issues) one field can cause. */
export const MAX_METHODS = 32;
export const MAX_HOSTS = 64;
export const MAX_FIELD_CONDITIONS = 64;

export function parseMethods(ctx: VariantContext, value: unknown): string[] | undefined {
  const items = list(ctx, 'methods-invalid', 'methods', value, 1, MAX_METHODS, 'method names');
  if (!items) return undefined;
  const out: string[] = [];
  let ok = true;
  items.forEach((m, i) => {
    if (typeof m !== 'string' || m.length > MAX_NAME_LENGTH || !HTTP_TOKEN.test(m)) {
      ok = false;
      fail(ctx, 'methods-invalid', `methods[${i}]`, `must be an HTTP method name, not ${show(m)}`, 'Write methods such as "GET", "POST"');
    } else if (m !== m.toUpperCase()) {
      ok = false;
      fail(ctx, 'methods-invalid', `methods[${i}]`, `must be upper case (methods are case-sensitive), not ${show(m)}`, `Write "${m.toUpperCase()}"`);
    } else if (!out.includes(m)) out.push(m);
  });
  if (!ok) return undefined;
  // A server that handles GET handles HEAD (RFC 9110 9.3.2), as every router does.
  if (out.includes('GET') && !out.includes('HEAD')) out.push('HEAD');
  return out;
}

const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;

function parseHostEntry(ctx: VariantContext, field: string, value: unknown): HostMatcher | undefined {
  if (isPlainObject(value)) {
    if (!checkKnown(ctx, value, ['regex'], field)) return undefined;
    return regexOf(ctx, 'host-invalid', sub(field, 'regex'), value.regex);
  }
  if (typeof value !== 'string' || value.length > 253 || value === '') {
    fail(ctx, 'host-invalid', field, `must be a host name or { "regex": ... }, not ${show(value)}`, 'Write a host such as "api.example.com" or "*.example.com"');
    return undefined;
  }
  const host = value.toLowerCase();
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (IPV6.test(name) && !wildcard) return { exact: name };
  if (/:\d*$/.test(name) && !name.startsWith('[')) {
    fail(ctx, 'host-invalid', field, `must not hold a port: ${show(value)}`, `Write "${value.replace(/:\d*$/, '')}": the port of the request's Host is ignored`);
    return undefined;
  }
  if (!HOST_NAME.test(name)) {
    fail(
      ctx,
      'host-invalid',
      field,
      `is not a host name: ${show(value)}`,
      // eslint-disable-next-line no-control-regex -- \x00-\x7f is the ASCII range: the test is "not ASCII"
      /[^\x00-\x7f]/.test(name)
        ? 'Write an internationalized name in its ASCII (xn--) form'
        : 'Write labels of letters, digits, "-" and "_" joined by "."; "*." only as the first label ("*.example.com")',
    );
    return undefined;
  }
  return wildcard ? { suffix: '.' + name } : { exact: name };
}

export function parseHost(ctx: VariantContext, value: unknown): HostMatcher[] | undefined {
  if (!Array.isArray(value)) {
    const one = parseHostEntry(ctx, 'host', value);
    return one && [one];
  }
  const items = list(ctx, 'host-invalid', 'host', value, 1, MAX_HOSTS, 'hosts');
  if (!items) return undefined;
  const out: HostMatcher[] = [];
  let ok = true;
  items.forEach((h, i) => {
    const m = parseHostEntry(ctx, `host[${i}]`, h);
    if (m) out.push(m);
    else ok = false;
  });
  return ok ? out : undefined;
}

function regexOf(ctx: VariantContext, code: IssueCode, field: string, source: unknown): { regex: LinearRegex } | undefined {
  const regex = okRegex(ctx, code, field, source);
  return regex && { regex };
}

/** A compiled linear-time regex, or undefined (reported as `regex-invalid` / `regex-too-long`, or under `code` for a non-string). */
function okRegex(ctx: VariantContext, code: IssueCode, field: string, source: unknown): LinearRegex | undefined {
  if (typeof source !== 'string') {
    fail(ctx, code, field, `must be a regular expression (a string), not ${show(source)}`, 'Write RE2 syntax, such as "v[0-9]+"');
    return undefined;
  }
  const regex = compileLinearRegex(source, ctx.regexBudget);
  if (!isRegexError(regex)) return regex;
  fail(
    ctx,
    regex.tooLong ? 'regex-too-long' : 'regex-invalid',
    field,
    `is not a valid linear-time (RE2) regular expression: ${regex.error}`,
    regex.tooLong
      ? "Shorten the regular expression: at most 256 characters, expanding to at most 1,000 elements (x{1000} counts 1,000); a table's distinct regexes expand to at most 100,000 together"
      : 'Use RE2 syntax (https://github.com/google/re2/wiki/Syntax): no back-references and no look-around',
  );
  return undefined;
}

const MATCHER_FORMS = 'a string (equal), true (present), false (absent), { "prefix": s } or { "regex": s }';

function parseMatcher(ctx: VariantContext, code: IssueCode, field: string, value: unknown): ValueMatcher | undefined {
  if (typeof value === 'string') return { kind: 'equals', value };
  if (value === true) return { kind: 'present' };
  if (value === false) return { kind: 'absent' };
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (!checkKnown(ctx, value, ['prefix', 'regex'], field)) return undefined;
    if (keys.length !== 1) {
      fail(ctx, code, field, `must hold exactly one of "prefix" and "regex"`, `Write ${MATCHER_FORMS}`);
      return undefined;
    }
    if (keys[0] === 'prefix') {
      if (typeof value.prefix === 'string' && value.prefix !== '') return { kind: 'prefix', value: value.prefix };
      fail(ctx, code, sub(field, 'prefix'), `must be a non-empty string, not ${show(value.prefix)}`, 'Write { "prefix": "Bearer " }; use true for "present"');
      return undefined;
    }
    const regex = okRegex(ctx, code, sub(field, 'regex'), value.regex);
    return regex && { kind: 'regex', regex };
  }
  fail(ctx, code, field, `must be ${MATCHER_FORMS}, not ${show(value)}`, `Write ${MATCHER_FORMS}`);
  return undefined;
}

/** `headers`: names are case-insensitive, so they are lower-cased and must differ after that. */
export function parseHeaders(ctx: VariantContext, value: unknown): FieldCondition[] | undefined {
  return parseFields(ctx, 'headers-invalid', 'headers', value, (field, name) => headerName(ctx, 'headers-invalid', field, name));
}

/** `query`: names as written (matched on decoded names), any non-empty text. */
export function parseQuery(ctx: VariantContext, value: unknown): FieldCondition[] | undefined {
  return parseFields(ctx, 'query-invalid', 'query', value, (field, name) => {
    if (name !== '' && name.length <= MAX_NAME_LENGTH) return name;
    fail(
      ctx,
      'query-invalid',
      field,
      `names a query parameter with ${name === '' ? 'an empty name' : `${name.length} characters`}`,
      `Use a name of 1 to ${MAX_NAME_LENGTH} characters`,
    );
    return undefined;
  });
}

function parseFields(
  ctx: VariantContext,
  code: IssueCode,
  field: string,
  value: unknown,
  nameOf: (field: string, name: string) => string | undefined,
): FieldCondition[] | undefined {
  if (!isPlainObject(value)) {
    fail(ctx, code, field, `must be an object of name -> matcher, not ${show(value)}`, `Write { "x-beta": "1" }; a matcher is ${MATCHER_FORMS}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > MAX_FIELD_CONDITIONS) {
    fail(ctx, code, field, `must hold 1 to ${MAX_FIELD_CONDITIONS} conditions, not ${entries.length}`, `Leave "${field}" out for no condition`);
    return undefined;
  }
  const out: FieldCondition[] = [];
  const seen = new Set<string>();
  let ok = true;
  for (const [rawName, m] of entries) {
    const at = `${field}[${JSON.stringify(rawName.length > 64 ? rawName.slice(0, 64) + '...' : rawName)}]`;
    const name = nameOf(at, rawName);
    const matcher = parseMatcher(ctx, code, at, m);
    if (name === undefined || matcher === undefined) {
      ok = false;
      continue;
    }
    if (seen.has(name)) {
      ok = false;
      fail(ctx, code, at, `names "${name}" twice (header names ignore case)`, 'Keep one condition per name');
      continue;
    }
    seen.add(name);
    out.push({ name, matcher });
  }
  return ok ? out : undefined;
}
