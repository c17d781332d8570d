/**
 * The editor's model of a route table, independent of any rendering: the routes as a list of
 * entries with stable ids (so a route keeps its form and focus while its pattern is retyped),
 * each route's value as a list of variant objects, and pure operations on them. The table the
 * host stores is derived from the entries; nothing here touches the DOM.
 */
import type { RouteIssue } from '../browser.js';

/** A variant as the forms edit it: always a route object (a string variant is `{ target }`). */
export type VariantDraft = Record<string, unknown>;

export interface RouteEntry {
  /** Stable across edits of the pattern (keys the rendered list). */
  id: number;
  pattern: string;
  variants: VariantDraft[];
}

let nextId = 1;
export function newId(): number {
  return nextId++;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string variant becomes `{ target }`; an object is copied deeply (the model owns its data). */
function toDraft(value: unknown): VariantDraft {
  if (typeof value === 'string') return { target: value };
  if (isPlainObject(value)) return structuredClone(value);
  // Anything else cannot be edited by a form; keep it under `target` so validation names it.
  return { target: value };
}

/**
 * Entries from a table as the host gave it. Ids of `previous` entries with the same pattern are
 * kept, so a JSON edit does not rebuild the forms of routes it did not touch.
 */
export function entriesFromTable(table: unknown, previous: readonly RouteEntry[] = []): RouteEntry[] {
  if (!isPlainObject(table)) return [];
  const byPattern = new Map(previous.map((e) => [e.pattern, e.id]));
  return Object.entries(table).map(([pattern, value]) => ({
    id: byPattern.get(pattern) ?? newId(),
    pattern,
    variants: Array.isArray(value) ? value.map(toDraft) : [toDraft(value)],
  }));
}

/** `{ target }` alone is written back as the plain string it means (SPEC 10). */
function fromDraft(v: VariantDraft): unknown {
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'target' && typeof v.target === 'string') return v.target;
  return v;
}

/** The table to store: one variant unwrapped, several as an array (their order is meaningful). */
export function tableFromEntries(entries: readonly RouteEntry[]): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  for (const e of entries) table[e.pattern] = e.variants.length === 1 ? fromDraft(e.variants[0]!) : e.variants.map(fromDraft);
  return table;
}

/** Moves item `from` to position `to` (both clamped); returns a new array. */
export function move<T>(items: readonly T[], from: number, to: number): T[] {
  const copy = [...items];
  if (from < 0 || from >= copy.length) return copy;
  const target = Math.max(0, Math.min(copy.length - 1, to));
  const [item] = copy.splice(from, 1);
  copy.splice(target, 0, item!);
  return copy;
}

/**
 * The pattern for a copy of `pattern`: a static `copy` segment before any catch-all, so the
 * copy is a valid pattern of its own (`/u/:id` → `/u/:id/copy`, `/api/*` → `/api/copy/*`).
 */
export function copyPattern(entries: readonly RouteEntry[], pattern: string): string {
  const used = new Set(entries.map((e) => e.pattern));
  const star = pattern.endsWith('/*');
  const stem = (star ? pattern.slice(0, -2) : pattern).replace(/\/$/, '');
  for (let i = 1; ; i++) {
    const candidate = `${stem}/copy${i === 1 ? '' : `-${i}`}${star ? '/*' : ''}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** A pattern not used yet: `/new`, `/new-2`, ... */
export function freshPattern(entries: readonly RouteEntry[], base = '/new'): string {
  const used = new Set(entries.map((e) => e.pattern));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

// ---------------------------------------------------------------------------------------
// Field paths (`retry.attempts`, `auth.keys`): read and write inside a variant draft.

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Sets `path` to `value`; `undefined` removes it, and objects left empty by a removal go too,
 * so clearing every field of `retry` removes `retry` rather than leaving `{}` behind.
 */
export function setPath(obj: VariantDraft, path: string, value: unknown): VariantDraft {
  const copy = structuredClone(obj);
  const keys = path.split('.');
  const parents: Record<string, unknown>[] = [copy];
  let cur: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(cur[key])) {
      if (value === undefined) return copy;
      cur[key] = {};
    }
    cur = cur[key] as Record<string, unknown>;
    parents.push(cur);
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  if (value === undefined) {
    for (let i = parents.length - 1; i > 0; i--) {
      if (Object.keys(parents[i]!).length > 0) break;
      delete parents[i - 1]![keys[i - 1]!];
    }
  }
  return copy;
}

// ---------------------------------------------------------------------------------------
// Issues by place: the route, the variant, the field they concern.

export interface IssueIndex {
  /** Issues of the table as a whole (not an object, empty). */
  table: RouteIssue[];
  /** Issues naming a pattern, by pattern. */
  byPattern: Map<string, RouteIssue[]>;
}

export function indexIssues(issues: readonly RouteIssue[]): IssueIndex {
  const index: IssueIndex = { table: [], byPattern: new Map() };
  for (const issue of issues) {
    if (issue.pattern === undefined) {
      index.table.push(issue);
      continue;
    }
    const list = index.byPattern.get(issue.pattern) ?? [];
    list.push(issue);
    index.byPattern.set(issue.pattern, list);
  }
  return index;
}

/**
 * Which form field an issue belongs to. Issues inside a route object carry `field`
 * (`retry.attempts`, `targets[1].weight`); the rest are placed by their code: pattern syntax
 * on the pattern, target rules on the target, a conflict on the pattern.
 */
export function issueField(issue: RouteIssue): string {
  if (issue.field !== undefined && issue.field !== '') return issue.field.replace(/\[\d+\].*$/, '');
  const code = issue.code;
  if (code.startsWith('target') || code === 'remainder-dropped' || code === 'params-unused') return 'target';
  if (code === 'variant-unreachable' || code === 'variant-invalid' || code.startsWith('route-')) return 'variant';
  if (code === 'too-many-variants' || code === 'variants-empty') return 'variants';
  return 'pattern';
}

/** The issues of one route that concern `field` of variant `variant` (`pattern` and `variants`: any variant). */
export function issuesFor(index: IssueIndex, pattern: string, variant: number | null, field: string): RouteIssue[] {
  const list = index.byPattern.get(pattern) ?? [];
  return list.filter((i) => issueField(i) === field && (variant === null || (i.variant ?? 0) === variant));
}
