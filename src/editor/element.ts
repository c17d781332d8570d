/// <reference lib="dom" />
/**
 * `<af-route-editor>`: edit, validate and test a route table in the browser. It takes the table
 * as its `routes` property and reports every edit as a `change` event (detail: the new table and
 * its validation) and a person's save as a `save` event; where the table is stored is the host
 * page's business. Validation, compilation, precedence and `explain` are the Node-free core's
 * (`../browser.js`): the element shows what the gateway will do, computed by the same code.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { compile, explain, routesInPrecedenceOrder, validateRoutes, type Explanation, type RouteIssue, type Router, type ValidationResult } from '../browser.js';
import { FORM_FIELDS, GROUPS, display, formatField, parseField, type FieldSpec } from './fields.js';
import {
  copyPattern,
  entriesFromTable,
  freshPattern,
  getPath,
  indexIssues,
  issueField,
  issuesFor,
  move,
  newId,
  setPath,
  tableFromEntries,
  type IssueIndex,
  type RouteEntry,
  type VariantDraft,
} from './model.js';
import { styles } from './styles.js';
import { renderLegend, renderRouteLive } from './live-view.js';
import { StatsSource, type StatsState } from './stats-source.js';
import { conditionsOf, describeFailure, policiesOf, targetsOf } from './summary.js';

/** `change` and `save` event detail. */
export interface RoutesChangeDetail {
  routes: Record<string, unknown>;
  validation: ValidationResult;
}

/** What the host says about a save (`editor.status = { kind: 'error', message }`). */
export interface EditorStatus {
  kind: 'ok' | 'error' | 'info';
  message: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const MATCHER_KINDS = [
  ['equals', 'equals'],
  ['prefix', 'starts with'],
  ['regex', 'regex (RE2)'],
  ['present', 'present'],
  ['absent', 'absent'],
] as const;
type MatcherKind = (typeof MATCHER_KINDS)[number][0];

interface ConditionRow {
  name: string;
  kind: MatcherKind;
  value: string;
}

function conditionRows(value: unknown): ConditionRow[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).map(([name, m]) => {
    if (m === true) return { name, kind: 'present', value: '' };
    if (m === false) return { name, kind: 'absent', value: '' };
    if (typeof m === 'object' && m !== null && 'prefix' in m) return { name, kind: 'prefix', value: String((m as { prefix: unknown }).prefix) };
    if (typeof m === 'object' && m !== null && 'regex' in m) return { name, kind: 'regex', value: String((m as { regex: unknown }).regex) };
    return { name, kind: 'equals', value: typeof m === 'string' ? m : JSON.stringify(m) };
  });
}

function conditionsFromRows(rows: readonly ConditionRow[]): Record<string, unknown> | undefined {
  if (rows.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    out[r.name] = r.kind === 'present' ? true : r.kind === 'absent' ? false : r.kind === 'prefix' ? { prefix: r.value } : r.kind === 'regex' ? { regex: r.value } : r.value;
  }
  return out;
}

interface TargetRow {
  url: string;
  weight: unknown;
}

function targetRows(v: VariantDraft): TargetRow[] {
  if (Array.isArray(v.targets)) {
    return v.targets.map((t) =>
      typeof t === 'object' && t !== null ? { url: display((t as { url?: unknown }).url), weight: (t as { weight?: unknown }).weight } : { url: String(t), weight: undefined },
    );
  }
  return [{ url: typeof v.target === 'string' ? v.target : v.target === undefined ? '' : JSON.stringify(v.target), weight: undefined }];
}

/** One target without weight is `target`; anything more is `targets`. */
function withTargets(v: VariantDraft, rows: readonly TargetRow[]): VariantDraft {
  const next = { ...v };
  delete next.target;
  delete next.targets;
  if (rows.length === 1 && rows[0]!.weight === undefined) next.target = rows[0]!.url;
  else next.targets = rows.map((r) => (r.weight === undefined ? r.url : { url: r.url, weight: r.weight }));
  // Keep `target`/`targets` first, where a reader of the JSON looks for it.
  const { target, targets, ...rest } = next;
  return { ...(target !== undefined ? { target } : {}), ...(targets !== undefined ? { targets } : {}), ...rest };
}

const idPart = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

export class AfRouteEditor extends LitElement {
  static override styles = styles;
  static override properties = {
    theme: { type: String, reflect: true },
    caseInsensitive: { type: Boolean, attribute: 'case-insensitive' },
    ignoreTrailingSlash: { type: Boolean, attribute: 'ignore-trailing-slash' },
    heading: { type: String },
    status: { attribute: false },
    saving: { type: Boolean },
    statsUrl: { type: String, attribute: 'stats-url' },
    statsInterval: { attribute: 'stats-interval' },
    statsWindow: { attribute: 'stats-window' },
    entries: { state: true },
  };

  /** `light`, `dark`, or `auto` (the default: the user's `prefers-color-scheme`). */
  declare theme: string;
  declare caseInsensitive: boolean;
  declare ignoreTrailingSlash: boolean;
  declare heading: string;
  /** The host's word on the last save (shown in the status line). */
  declare status: EditorStatus | null;
  /** True while the host stores a save (the Save button waits). */
  declare saving: boolean;
  declare entries: RouteEntry[];
  /**
   * Live statistics from a running gateway: the URL of its admin `/routes` document (or the
   * edit server's `/api/stats`), polled every `statsInterval` seconds (default 2) while the
   * element is in the document. Or leave it unset and push snapshots to `stats`.
   */
  declare statsUrl: string | null;
  declare statsInterval: number | string | null;
  /** Seconds over which error shares and latency are computed (default 60). */
  declare statsWindow: number | string | null;

  private statsSource = new StatsSource(this);
  private pushedStats: unknown = undefined;

  private selectedId: number | null = null;
  private validation: ValidationResult = { valid: false, errors: [], warnings: [] };
  private issues: IssueIndex = indexIssues([]);
  /** The last table that compiled: the tester uses it while the current one has errors. */
  private router: Router | null = null;
  private routerIsCurrent = false;
  /** Route ids in display (precedence) order. */
  private order: number[] = [];
  /** Text as typed, by field key: shown instead of the value's canonical text while editing. */
  private drafts = new Map<string, string>();
  private jsonText = '';
  private jsonError = '';
  private jsonFocused = false;
  private test = { method: 'GET', path: '/', host: '', headers: '', query: '' };
  private explanation: Explanation | null = null;
  private dragFrom: number | null = null;
  private dropAt: number | null = null;
  /** After a keyboard move, the variant handle to focus once rendered. */
  private focusHandle: string | null = null;
  private live = '';
  /**
   * "No layout shift while typing": the messages of the field being typed in change only after
   * a pause (a new message would push the form down at every keystroke that toggles validity).
   * The Save button and the summary follow every keystroke.
   */
  private typing: { key: string; issues: readonly RouteIssue[]; timer: ReturnType<typeof setTimeout> } | null = null;
  private lastShown = new Map<string, readonly RouteIssue[]>();
  static readonly SETTLE_MS = 500;

  constructor() {
    super();
    this.theme = 'auto';
    this.caseInsensitive = false;
    this.ignoreTrailingSlash = false;
    this.heading = 'Routes';
    this.status = null;
    this.saving = false;
    this.entries = [];
    this.statsUrl = null;
    this.statsInterval = null;
    this.statsWindow = null;
  }

  /**
   * A snapshot of the gateway's statistics, pushed by the host (the admin `/routes` document's
   * shape: docs/operations.md); each push is one snapshot, rates come from successive ones.
   * `null`: no statistics now ("stats unavailable"). Ignored while `stats-url` is set.
   */
  get stats(): unknown {
    return this.pushedStats;
  }

  set stats(doc: unknown) {
    this.pushedStats = doc;
    this.statsSource.push(doc);
  }

  /** The table being edited (a copy: the element owns its working state). */
  get routes(): Record<string, unknown> {
    return tableFromEntries(this.entries);
  }

  set routes(table: unknown) {
    this.entries = entriesFromTable(table, this.entries);
    this.drafts.clear();
    if (this.selectedId === null || !this.entries.some((e) => e.id === this.selectedId)) this.selectedId = this.entries[0]?.id ?? null;
    this.recompute();
  }

  /** The validation of the current table. */
  get validationResult(): ValidationResult {
    return this.validation;
  }

  private get options() {
    return { caseSensitive: !this.caseInsensitive, ignoreTrailingSlash: this.ignoreTrailingSlash };
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('caseInsensitive') || changed.has('ignoreTrailingSlash')) this.recompute();
    if (changed.has('statsUrl') || changed.has('statsInterval') || changed.has('statsWindow')) this.statsSource.configure(this.statsUrl, this.statsInterval, this.statsWindow);
  }

  protected override updated(): void {
    if (this.focusHandle !== null) {
      this.renderRoot.querySelector<HTMLElement>(`#${this.focusHandle}`)?.focus();
      this.focusHandle = null;
    }
  }

  // -------------------------------------------------------------------------------------
  // State changes

  /** Validates, compiles, orders and re-runs the test for the current entries. */
  private recompute(): void {
    const table = tableFromEntries(this.entries);
    const options = this.options;
    // An empty table is what the host would store, so it is validated as such ("cannot be empty").
    this.validation = validateRoutes(table, options);
    this.issues = indexIssues([...this.validation.errors, ...this.validation.warnings]);
    this.routerIsCurrent = false;
    if (this.validation.valid) {
      try {
        this.router = compile(table as unknown, options);
        this.routerIsCurrent = true;
      } catch {
        // validateRoutes and compile agree (SPEC 3); should they not, the last router stays.
      }
    }
    this.order = this.precedenceOrder(table);
    if (!this.jsonFocused) {
      this.jsonText = JSON.stringify(table, null, 2);
      this.jsonError = '';
    }
    this.runTest();
    this.requestUpdate();
  }

  /**
   * The display order. A valid table: precedence order. An invalid one: the precedence order of
   * its routes without errors (compiled on their own), the others after them in table order,
   * so the list stays meaningful while one route is being fixed.
   */
  private precedenceOrder(table: Record<string, unknown>): number[] {
    const idOf = new Map(this.entries.map((e) => [e.pattern, e.id]));
    const bad = new Set(this.validation.errors.map((i) => i.pattern).filter((p): p is string => p !== undefined));
    const good: Record<string, unknown> = {};
    for (const [p, v] of Object.entries(table)) if (!bad.has(p)) good[p] = v;
    let ordered: number[] = [];
    if (Object.keys(good).length > 0) {
      try {
        ordered = routesInPrecedenceOrder(compile(good as unknown, this.options).routes).map((r) => idOf.get(r.pattern)!);
      } catch {
        ordered = this.order.filter((id) => this.entries.some((e) => e.id === id && !bad.has(e.pattern)));
      }
    }
    const seen = new Set(ordered);
    return [...ordered, ...this.entries.filter((e) => !seen.has(e.id)).map((e) => e.id)];
  }

  private emitChange(): void {
    this.status = null;
    this.dispatchEvent(new CustomEvent<RoutesChangeDetail>('change', { detail: { routes: this.routes, validation: this.validation }, bubbles: true, composed: true }));
  }

  private updateEntries(entries: RouteEntry[], announce?: string): void {
    this.entries = entries;
    if (announce !== undefined) this.live = announce;
    this.recompute();
    this.emitChange();
  }

  private updateEntry(id: number, fn: (e: RouteEntry) => RouteEntry, announce?: string): void {
    this.updateEntries(
      this.entries.map((e) => (e.id === id ? fn(e) : e)),
      announce,
    );
  }

  private updateVariant(id: number, index: number, fn: (v: VariantDraft) => VariantDraft): void {
    this.updateEntry(id, (e) => ({ ...e, variants: e.variants.map((v, i) => (i === index ? fn(v) : v)) }));
  }

  private clearDrafts(id: number): void {
    for (const key of [...this.drafts.keys()]) if (key.startsWith(`${id}/`)) this.drafts.delete(key);
  }

  private addRoute(): void {
    const entry: RouteEntry = { id: newId(), pattern: freshPattern(this.entries), variants: [{ target: '' }] };
    this.selectedId = entry.id;
    this.updateEntries([...this.entries, entry], `Added route ${entry.pattern}`);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>(`#pattern-${entry.id}`)?.focus());
  }

  private duplicateRoute(entry: RouteEntry): void {
    const copy: RouteEntry = { id: newId(), pattern: copyPattern(this.entries, entry.pattern), variants: structuredClone(entry.variants) };
    // Names are unique in a table: a copy's names would collide.
    for (const v of copy.variants) delete v.name;
    this.selectedId = copy.id;
    this.updateEntries([...this.entries, copy], `Duplicated ${entry.pattern} as ${copy.pattern}`);
  }

  private deleteRoute(entry: RouteEntry): void {
    const rest = this.entries.filter((e) => e.id !== entry.id);
    const pos = this.order.indexOf(entry.id);
    const nextId = this.order.filter((id) => id !== entry.id)[Math.max(0, pos - 1)] ?? null;
    this.selectedId = nextId;
    this.clearDrafts(entry.id);
    this.updateEntries(rest, `Deleted route ${entry.pattern}`);
  }

  private moveVariant(entry: RouteEntry, from: number, to: number, viaKeyboard: boolean): void {
    if (to < 0 || to >= entry.variants.length || from === to) return;
    this.clearDrafts(entry.id);
    if (viaKeyboard) this.focusHandle = `handle-${entry.id}-${to}`;
    this.updateEntry(entry.id, (e) => ({ ...e, variants: move(e.variants, from, to) }), `Variant #${from + 1} moved to position ${to + 1} of ${entry.variants.length}`);
  }

  private onJsonInput(text: string): void {
    this.jsonText = text;
    let table: unknown;
    try {
      table = JSON.parse(text);
    } catch (e) {
      this.jsonError = `Not valid JSON: ${(e as Error).message}`;
      this.requestUpdate();
      return;
    }
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      this.jsonError = 'The table is a JSON object mapping path patterns to targets';
      this.requestUpdate();
      return;
    }
    this.jsonError = '';
    this.entries = entriesFromTable(table, this.entries);
    this.drafts.clear();
    if (!this.entries.some((e) => e.id === this.selectedId)) this.selectedId = this.entries[0]?.id ?? null;
    this.recompute();
    this.emitChange();
  }

  private onSave(): void {
    if (!this.validation.valid || this.saving) return;
    this.dispatchEvent(new CustomEvent<RoutesChangeDetail>('save', { detail: { routes: this.routes, validation: this.validation }, bubbles: true, composed: true }));
  }

  private runTest(): void {
    if (this.router === null) {
      this.explanation = null;
      return;
    }
    const headers: Record<string, string> = {};
    for (const line of this.test.headers.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) {
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
    }
    const query = this.test.query.replace(/^\?/, '');
    const raw = query === '' ? this.test.path : `${this.test.path}?${query}`;
    this.explanation = explain(this.router, raw, { method: this.test.method, ...(this.test.host !== '' ? { host: this.test.host } : {}), headers, query });
  }

  private setTest(field: keyof AfRouteEditor['test'], value: string): void {
    this.test = { ...this.test, [field]: value };
    this.runTest();
    this.requestUpdate();
  }

  // -------------------------------------------------------------------------------------
  // Rendering

  protected override render(): TemplateResult {
    const errors = this.validation.errors.length;
    const warnings = this.validation.warnings.length;
    const selected = this.entries.find((e) => e.id === this.selectedId) ?? null;
    const stats = this.statsSource.state();
    return html`
      <header class="bar">
        <h2 class="grow">${this.heading}</h2>
        <button type="button" @click=${() => this.addRoute()}>Add route</button>
        <button type="button" class="primary" ?disabled=${!this.validation.valid || this.saving} aria-describedby="summary" @click=${() => this.onSave()}>
          ${this.saving ? 'Saving…' : 'Save'}
        </button>
      </header>
      <p id="summary" class="status" role="status">
        ${this.entries.length} route${this.entries.length === 1 ? '' : 's'} ·
        ${errors === 0 ? html`<span class="ok">valid</span>` : html`<span class="err">${errors} error${errors === 1 ? '' : 's'}: fix them to save</span>`}
        ${warnings > 0 ? html` · <span class="warn">${warnings} warning${warnings === 1 ? '' : 's'}</span>` : nothing}
      </p>
      <p class="status" role="status" data-testid="save-status">
        ${this.status !== null ? html`<span class=${this.status.kind === 'error' ? 'err' : this.status.kind === 'ok' ? 'ok' : 'muted'} data-status=${this.status.kind}>${this.status.message}</span>` : nothing}
      </p>
      <p class="sr-only" aria-live="polite">${this.live}</p>
      ${this.issues.table.length > 0 ? html`<p class="err">${this.issues.table.map((i) => this.renderIssue(i))}</p>` : nothing}
      <div class="layout">
        <section class="panel" aria-labelledby="list-h">
          <h3 id="list-h">In precedence order</h3>
          <p class="help">The order matching uses: at each segment static text, then constrained, then plain parameters, then a catch-all.</p>
          ${renderLegend(this.statsSource, stats)} ${this.entries.length === 0 ? html`<p class="muted">No routes yet: every request is answered 404. Add one.</p>` : nothing}
          <ol class="routes">
            ${repeat(
              this.order,
              (id) => id,
              (id, rank) =>
                this.renderListItem(
                  this.entries.find((e) => e.id === id)!,
                  rank,
                  stats,
                ),
            )}
          </ol>
        </section>
        <section class="panel" aria-labelledby="detail-h">
          ${
            selected === null
              ? html`<h3 id="detail-h">Route</h3>
                  <p class="muted">Select a route to edit it.</p>`
              : this.renderRoute(selected)
          }
        </section>
      </div>
      ${this.renderTester()} ${this.renderJson()}
    `;
  }

  private renderIssue(i: RouteIssue): TemplateResult {
    return html`<span class="issue ${i.severity === 'error' ? 'err' : 'warn'}" data-code=${i.code}
      >${i.severity === 'warning' ? 'Warning: ' : ''}${i.message}${i.hint !== undefined ? html`<br /><span class="hint">${i.hint}</span>` : nothing}</span
    >`;
  }

  private renderMessages(id: string, issues: readonly RouteIssue[], key?: string): TemplateResult {
    let shown = issues;
    if (key !== undefined) {
      if (this.typing !== null && this.typing.key === key) shown = this.typing.issues;
      this.lastShown.set(key, shown);
    }
    return html`<div class="msg" id=${id} data-settled=${this.typing?.key === key ? 'false' : 'true'}>${shown.map((i) => this.renderIssue(i))}</div>`;
  }

  /** Called on each keystroke in the field `key`: holds its messages until typing pauses. */
  private typingIn(key: string): void {
    if (this.typing !== null) clearTimeout(this.typing.timer);
    const issues = this.typing !== null && this.typing.key === key ? this.typing.issues : (this.lastShown.get(key) ?? []);
    const timer = setTimeout(() => {
      this.typing = null;
      this.requestUpdate();
    }, AfRouteEditor.SETTLE_MS);
    this.typing = { key, issues, timer };
  }

  private renderListItem(entry: RouteEntry, rank: number, stats: StatsState): TemplateResult {
    const issues = this.issues.byPattern.get(entry.pattern) ?? [];
    const errors = issues.filter((i) => i.severity === 'error').length;
    return html`<li>
      <button type="button" class="route" aria-current=${entry.id === this.selectedId ? 'true' : 'false'} data-pattern=${entry.pattern} @click=${() => this.select(entry.id)}>
        <span class="rank">${rank + 1}.</span>
        <span class="pattern mono">${entry.pattern}${errors > 0 ? html`<span class="badge err">${errors} error${errors === 1 ? '' : 's'}</span>` : nothing}</span>
        <span class="variants-line">
          ${entry.variants.map((v, i) => {
            const conds = conditionsOf(v);
            const pols = policiesOf(v);
            const line = `${entry.variants.length > 1 ? `#${i + 1} ` : ''}${conds.length > 0 ? `${conds.join(' · ')} ` : ''}→ ${targetsOf(v).join(', ') || '(no target)'}${pols.length > 0 ? ` · ${pols.join(' · ')}` : ''}`;
            return html`<span class="v" title=${line}>${line}</span>`;
          })}
        </span>
      </button>
      ${renderRouteLive(this.statsSource, stats, entry.pattern)}
    </li>`;
  }

  private select(id: number): void {
    this.selectedId = id;
    this.requestUpdate();
  }

  private renderRoute(entry: RouteEntry): TemplateResult {
    const pid = `pattern-${entry.id}`;
    const patternIssues = issuesFor(this.issues, entry.pattern, null, 'pattern');
    const variantsIssues = issuesFor(this.issues, entry.pattern, null, 'variants');
    const draftKey = `${entry.id}/pattern`;
    return html`
      <div class="bar">
        <h3 id="detail-h" class="grow">Route <code>${entry.pattern}</code></h3>
        <button type="button" @click=${() => this.duplicateRoute(entry)}>Duplicate route</button>
        <button type="button" @click=${() => this.deleteRoute(entry)}>Delete route</button>
      </div>
      <div class="field">
        <label for=${pid}>Pattern</label>
        <input
          id=${pid}
          class="mono"
          .value=${this.drafts.get(draftKey) ?? entry.pattern}
          aria-invalid=${patternIssues.some((i) => i.severity === 'error') ? 'true' : 'false'}
          aria-describedby=${`${pid}-msg ${pid}-help`}
          spellcheck="false"
          autocomplete="off"
          @input=${(e: Event) => {
            this.typingIn(`${entry.id}/pattern`);
            this.renamePattern(entry, (e.target as HTMLInputElement).value);
          }}
        />
        <span class="help" id=${`${pid}-help`}>/static, :param, :id([0-9]+), * as a whole segment; a last * catches the rest.</span>
        ${this.renderMessages(`${pid}-msg`, patternIssues, `${entry.id}/pattern`)}
      </div>
      <p class="note" id=${`order-note-${entry.id}`}>
        Variants are tried top to bottom; the first whose conditions all hold serves the request. Order matters only here: the table is a JSON object, and its keys come back in any
        order from the database (Postgres <code>jsonb</code>), so between patterns precedence decides, never position.
      </p>
      ${this.renderMessages(`variants-msg-${entry.id}`, variantsIssues)}
      <ol class="variant-list" aria-label="Variants of ${entry.pattern}">
        ${entry.variants.map((v, i) => this.renderVariant(entry, v, i))}
      </ol>
      <div class="bar">
        <button type="button" @click=${() => this.updateEntry(entry.id, (e) => ({ ...e, variants: [...e.variants, { target: '' }] }), 'Added a variant')}>Add variant</button>
      </div>
    `;
  }

  private renamePattern(entry: RouteEntry, pattern: string): void {
    const key = `${entry.id}/pattern`;
    // Two routes cannot share a pattern (they are keys of one object): keep the text, say so.
    if (this.entries.some((e) => e.id !== entry.id && e.pattern === pattern)) {
      this.drafts.set(key, pattern);
      this.status = { kind: 'error', message: `Another route already has the pattern ${pattern}` };
      this.requestUpdate();
      return;
    }
    this.drafts.delete(key);
    this.updateEntry(entry.id, (e) => ({ ...e, pattern }));
  }

  private renderVariant(entry: RouteEntry, v: VariantDraft, index: number): TemplateResult {
    const base = `v-${entry.id}-${index}`;
    const all = (this.issues.byPattern.get(entry.pattern) ?? []).filter((i) => (i.variant ?? 0) === index && issueField(i) !== 'pattern' && issueField(i) !== 'variants');
    // Issues with no field of their own on the form (an unknown field, an unreachable variant) go at the top.
    const general = all.filter((i) => !FORM_FIELDS.has(issueField(i)));
    const n = entry.variants.length;
    const classes = [this.dragFrom === index ? 'dragging' : '', this.dropAt === index && this.dragFrom !== index ? 'drop-target' : ''].join(' ');
    return html`<li
      class=${classes}
      data-variant=${index}
      @dragover=${(e: DragEvent) => {
        if (this.dragFrom === null) return;
        e.preventDefault();
        if (this.dropAt !== index) {
          this.dropAt = index;
          this.requestUpdate();
        }
      }}
      @drop=${(e: DragEvent) => {
        e.preventDefault();
        const from = this.dragFrom;
        this.dragFrom = this.dropAt = null;
        if (from !== null) this.moveVariant(entry, from, index, false);
      }}
    >
      <fieldset>
        <legend>Variant #${index + 1}${typeof v.name === 'string' && v.name !== '' ? ` (${v.name})` : ''}</legend>
        <div class="bar">
          <!-- Mouse and touch drag by the grip (a button cannot start a drag in every browser); the keyboard uses the Move button. -->
          <span
            class="grip"
            draggable="true"
            aria-hidden="true"
            title="Drag to reorder"
            @dragstart=${(e: DragEvent) => {
              this.dragFrom = index;
              e.dataTransfer?.setData('text/plain', String(index));
              if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
              this.requestUpdate();
            }}
            @dragend=${() => {
              this.dragFrom = this.dropAt = null;
              this.requestUpdate();
            }}
            >⠿</span
          >
          <button
            type="button"
            class="handle"
            id=${`handle-${entry.id}-${index}`}
            aria-label=${`Move variant #${index + 1} of ${n} (Alt+Up, Alt+Down)`}
            aria-describedby=${`order-note-${entry.id}`}
            @keydown=${(e: KeyboardEvent) => {
              if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
              e.preventDefault();
              this.moveVariant(entry, index, e.key === 'ArrowUp' ? index - 1 : index + 1, true);
            }}
          >
            Move
          </button>
          <button type="button" ?disabled=${index === 0} @click=${() => this.moveVariant(entry, index, index - 1, true)} aria-label=${`Move variant #${index + 1} up`}>↑</button>
          <button type="button" ?disabled=${index === n - 1} @click=${() => this.moveVariant(entry, index, index + 1, true)} aria-label=${`Move variant #${index + 1} down`}>
            ↓
          </button>
          <span class="grow"></span>
          <button
            type="button"
            @click=${() => {
              const copy = structuredClone(v);
              delete copy.name;
              this.clearDrafts(entry.id);
              this.updateEntry(
                entry.id,
                (e) => ({ ...e, variants: [...e.variants.slice(0, index + 1), copy, ...e.variants.slice(index + 1)] }),
                `Duplicated variant #${index + 1}`,
              );
            }}
          >
            Duplicate
          </button>
          <button
            type="button"
            ?disabled=${n === 1}
            title=${n === 1 ? 'A route has at least one variant: delete the route instead' : ''}
            @click=${() => {
              this.clearDrafts(entry.id);
              this.updateEntry(entry.id, (e) => ({ ...e, variants: e.variants.filter((_, i) => i !== index) }), `Deleted variant #${index + 1}`);
            }}
          >
            Delete
          </button>
        </div>
        ${this.renderMessages(`${base}-general`, general)}
        <div class="grid2">
          ${this.renderField(entry, index, v, { path: 'name', label: 'Name', kind: 'text', placeholder: `${entry.pattern}${n > 1 ? `#${index + 1}` : ''}`, help: 'For metrics and logs; unique.' }, all)}
        </div>
        ${this.renderTargets(entry, index, v, all)}
        ${GROUPS.map((group) => {
          const fields = group.fields.filter((f) => f.when === undefined || f.when(v));
          const used = group.fields.some((f) => getPath(v, f.path.split('.')[0]!) !== undefined) || all.some((i) => group.fields.some((f) => f.path === issueField(i)));
          const rows =
            group.id === 'conditions' ? html`${this.renderConditions(entry, index, v, 'headers', all)} ${this.renderConditions(entry, index, v, 'query', all)}` : nothing;
          const hasRows = group.id === 'conditions' && (v.headers !== undefined || v.query !== undefined || all.some((i) => ['headers', 'query'].includes(issueField(i))));
          return html`<details ?open=${group.id === 'conditions' || used || hasRows} data-group=${group.id}>
            <summary>${group.legend}</summary>
            <div class="grid2">${fields.map((f) => this.renderField(entry, index, v, f, all))}</div>
            ${rows}
          </details>`;
        })}
      </fieldset>
    </li>`;
  }

  private fieldValue(v: VariantDraft, f: FieldSpec): string {
    if (f.path === 'loadBalancer') return typeof v.loadBalancer === 'object' && v.loadBalancer !== null ? 'hash' : typeof v.loadBalancer === 'string' ? v.loadBalancer : '';
    if (f.path === 'cache') return v.cache === true ? 'true' : typeof v.cache === 'object' && v.cache !== null ? 'custom' : display(v.cache);
    return formatField(f.kind, getPath(v, f.path));
  }

  /** Writes a field's parsed value; the selects whose value shapes their parent are special. */
  private writeField(v: VariantDraft, f: FieldSpec, text: string): VariantDraft {
    if (f.path === 'loadBalancer') return setPath(v, 'loadBalancer', text === '' ? undefined : text === 'hash' ? { hash: 'ip' } : text);
    if (f.path === 'auth.type') return setPath(v, 'auth', text === '' ? undefined : { type: text });
    if (f.path === 'cache') return setPath(v, 'cache', text === '' ? undefined : text === 'true' ? true : {});
    let next = setPath(v, f.path, parseField(f.kind, text));
    // Clearing the last cache setting leaves the cache on (with defaults), not off.
    if (f.path.startsWith('cache.') && next.cache === undefined) next = { ...next, cache: {} };
    return next;
  }

  private renderField(entry: RouteEntry, index: number, v: VariantDraft, f: FieldSpec, all: readonly RouteIssue[]): TemplateResult {
    const id = `f-${entry.id}-${index}-${idPart(f.path)}`;
    const issues = all.filter((i) => issueField(i) === f.path || (f.path === 'auth.type' && issueField(i) === 'auth') || (f.path === 'cache' && issueField(i) === 'cache'));
    const key = `${entry.id}/${index}/${f.path}`;
    const value = this.drafts.get(key) ?? this.fieldValue(v, f);
    const invalid = issues.some((i) => i.severity === 'error') ? 'true' : 'false';
    const describedBy = `${id}-msg${f.help !== undefined ? ` ${id}-help` : ''}`;
    const onInput = (e: Event) => {
      const text = (e.target as HTMLInputElement).value;
      if (f.kind === 'select') this.drafts.delete(key);
      else {
        this.drafts.set(key, text);
        this.typingIn(key);
      }
      this.updateVariant(entry.id, index, (cur) => this.writeField(cur, f, text));
    };
    let control: TemplateResult;
    if (f.kind === 'select') {
      control = html`<select id=${id} aria-describedby=${describedBy} @change=${onInput}>
        ${f.options!.map(([val, label]) => html`<option value=${val} ?selected=${val === value}>${label}</option>`)}
      </select>`;
    } else if (f.kind === 'pairs' || f.kind === 'json') {
      control = html`<textarea
        id=${id}
        class="mono"
        rows="2"
        spellcheck="false"
        placeholder=${f.placeholder ?? ''}
        aria-invalid=${invalid}
        aria-describedby=${describedBy}
        .value=${value}
        @input=${onInput}
      ></textarea>`;
    } else {
      const mono = f.kind !== 'text' || f.path !== 'name';
      control = html`<input
        id=${id}
        class=${mono ? 'mono' : ''}
        spellcheck="false"
        autocomplete="off"
        inputmode=${f.kind === 'number' ? 'numeric' : 'text'}
        placeholder=${f.placeholder ?? ''}
        aria-invalid=${invalid}
        aria-describedby=${describedBy}
        .value=${value}
        @input=${onInput}
      />`;
    }
    return html`<div class="field" data-field=${f.path}>
      <label for=${id}>${f.label}</label>
      ${control} ${f.help !== undefined ? html`<span class="help" id=${`${id}-help`}>${f.help}</span>` : nothing} ${this.renderMessages(`${id}-msg`, issues, key)}
    </div>`;
  }

  private renderTargets(entry: RouteEntry, index: number, v: VariantDraft, all: readonly RouteIssue[]): TemplateResult {
    const rows = targetRows(v);
    const issues = all.filter((i) => issueField(i) === 'target' || issueField(i) === 'targets');
    const base = `t-${entry.id}-${index}`;
    const write = (next: TargetRow[]) => this.updateVariant(entry.id, index, (cur) => withTargets(cur, next));
    return html`<div class="field" data-field="target" role="group" aria-labelledby=${`${base}-h`}>
      <span class="label" id=${`${base}-h`}><b>Target${rows.length > 1 ? 's' : ''}</b> <span class="help">absolute http(s) URL; :name and * fill placeholders</span></span>
      <div class="rows">
        ${rows.map((r, ti) => {
          const wkey = `${entry.id}/${index}/targets.${ti}.weight`;
          return html`<div class="row">
            <input
              id=${`${base}-url-${ti}`}
              class="mono"
              aria-label=${rows.length > 1 ? `Target ${ti + 1} URL` : 'Target URL'}
              placeholder="https://service.internal"
              spellcheck="false"
              autocomplete="off"
              aria-invalid=${issues.some((i) => i.severity === 'error') ? 'true' : 'false'}
              aria-describedby=${`${base}-msg`}
              .value=${r.url}
              @input=${(e: Event) => {
                this.typingIn(`${entry.id}/${index}/target`);
                write(rows.map((x, j) => (j === ti ? { ...x, url: (e.target as HTMLInputElement).value } : x)));
              }}
            />
            <input
              id=${`${base}-w-${ti}`}
              class="mono"
              aria-label=${`Target ${ti + 1} weight`}
              placeholder="weight 1"
              inputmode="numeric"
              .value=${this.drafts.get(wkey) ?? display(r.weight)}
              @input=${(e: Event) => {
                const text = (e.target as HTMLInputElement).value;
                this.drafts.set(wkey, text);
                this.typingIn(`${entry.id}/${index}/target`);
                write(rows.map((x, j) => (j === ti ? { ...x, weight: parseField('number', text) } : x)));
              }}
            />
            <button type="button" ?disabled=${rows.length === 1} aria-label=${`Remove target ${ti + 1}`} @click=${() => write(rows.filter((_, j) => j !== ti))}>✕</button>
          </div>`;
        })}
      </div>
      <div class="bar"><button type="button" @click=${() => write([...rows, { url: '', weight: undefined }])}>Add target</button></div>
      ${this.renderMessages(`${base}-msg`, issues, `${entry.id}/${index}/target`)}
    </div>`;
  }

  private renderConditions(entry: RouteEntry, index: number, v: VariantDraft, which: 'headers' | 'query', all: readonly RouteIssue[]): TemplateResult {
    const rows = conditionRows(v[which]);
    const issues = all.filter((i) => issueField(i) === which);
    const base = `c-${entry.id}-${index}-${which}`;
    const noun = which === 'headers' ? 'Header' : 'Query parameter';
    const write = (next: ConditionRow[]) => this.updateVariant(entry.id, index, (cur) => setPath(cur, which, conditionsFromRows(next)));
    const patch = (ri: number, p: Partial<ConditionRow>) => write(rows.map((x, j) => (j === ri ? { ...x, ...p } : x)));
    return html`<div class="field" data-field=${which} role="group" aria-labelledby=${`${base}-h`}>
      <span id=${`${base}-h`}><b>${which === 'headers' ? 'Header conditions' : 'Query conditions'}</b></span>
      <div class="rows">
        ${rows.map(
          (r, ri) =>
            html`<div class="row cond">
              <input
                class="mono"
                aria-label=${`${noun} ${ri + 1} name`}
                placeholder="name"
                .value=${r.name}
                @input=${(e: Event) => patch(ri, { name: (e.target as HTMLInputElement).value })}
              />
              <select aria-label=${`${noun} ${ri + 1} test`} @change=${(e: Event) => patch(ri, { kind: (e.target as HTMLSelectElement).value as MatcherKind })}>
                ${MATCHER_KINDS.map(([k, label]) => html`<option value=${k} ?selected=${k === r.kind}>${label}</option>`)}
              </select>
              <input
                class="mono"
                aria-label=${`${noun} ${ri + 1} value`}
                placeholder=${r.kind === 'present' || r.kind === 'absent' ? '(no value)' : 'value'}
                ?disabled=${r.kind === 'present' || r.kind === 'absent'}
                .value=${r.value}
                @input=${(e: Event) => patch(ri, { value: (e.target as HTMLInputElement).value })}
              />
              <button type="button" aria-label=${`Remove ${noun.toLowerCase()} condition ${ri + 1}`} @click=${() => write(rows.filter((_, j) => j !== ri))}>✕</button>
            </div>`,
        )}
      </div>
      <div class="bar">
        <button
          type="button"
          @click=${() => write([...rows, { name: which === 'headers' ? `x-header-${rows.length + 1}` : `param${rows.length + 1}`, kind: 'equals', value: '' }])}
        >
          Add ${which === 'headers' ? 'header' : 'query'} condition
        </button>
      </div>
      ${this.renderMessages(`${base}-msg`, issues)}
    </div>`;
  }

  private renderTester(): TemplateResult {
    const x = this.explanation;
    const t = this.test;
    return html`<section class="panel spaced" aria-labelledby="test-h">
      <h3 id="test-h">Test a request</h3>
      ${!this.routerIsCurrent && this.router !== null ? html`<p class="warn">The table has errors: testing the last valid version.</p>` : nothing}
      <div class="tester-grid">
        <div class="field">
          <label for="t-method">Method</label>
          <select id="t-method" @change=${(e: Event) => this.setTest('method', (e.target as HTMLSelectElement).value)}>
            ${METHODS.map((m) => html`<option ?selected=${m === t.method}>${m}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="t-path">Path (raw)</label>
          <input
            id="t-path"
            class="mono"
            spellcheck="false"
            autocomplete="off"
            .value=${t.path}
            aria-describedby="t-normalized"
            @input=${(e: Event) => this.setTest('path', (e.target as HTMLInputElement).value)}
          />
          <span class="help" id="t-normalized"
            >${x === null ? '' : x.normalized.ok ? html`normalized: <code data-testid="normalized">${x.normalized.path}</code>` : html`<span class="err">rejected (${x.normalized.status}): ${x.normalized.message}</span>`}</span
          >
        </div>
        <div class="field">
          <label for="t-host">Host</label>
          <input
            id="t-host"
            class="mono"
            spellcheck="false"
            autocomplete="off"
            placeholder="api.example.com"
            .value=${t.host}
            @input=${(e: Event) => this.setTest('host', (e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field full">
          <label for="t-headers">Headers (one "name: value" per line)</label>
          <textarea
            id="t-headers"
            class="mono"
            rows="2"
            spellcheck="false"
            .value=${t.headers}
            @input=${(e: Event) => this.setTest('headers', (e.target as HTMLTextAreaElement).value)}
          ></textarea>
        </div>
        <div class="field full">
          <label for="t-query">Query</label>
          <input
            id="t-query"
            class="mono"
            spellcheck="false"
            autocomplete="off"
            placeholder="a=1&b=2"
            .value=${t.query}
            @input=${(e: Event) => this.setTest('query', (e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <div class="result" aria-live="polite" data-testid="test-result">${x === null ? html`<p class="muted">No valid table to test yet.</p>` : this.renderExplanation(x)}</div>
    </section>`;
  }

  private renderExplanation(x: Explanation): TemplateResult {
    if (!x.normalized.ok) return html`<p class="err">The gateway answers ${x.normalized.status}: ${x.normalized.message}.</p>`;
    const w = x.winner;
    // A variant's name is shown when it was given (the default is the pattern plus #N).
    const variantLabel = (index: number, name: string, of: number, pattern: string) =>
      `${of > 1 ? `variant #${index + 1}` : 'its only variant'}${name !== '' && name !== pattern && name !== `${pattern}#${index + 1}` ? ` (${name})` : ''}`;
    const winnerIndex = w === null ? -1 : x.candidates.findIndex((c) => c.route === w.route);
    return html`
      ${
        w === null
          ? html`<p class="err" data-testid="winner">No route serves it: the gateway answers ${x.allow.length > 0 ? html`405 (Allow: ${x.allow.join(', ')})` : '404'}.</p>`
          : html`<dl>
              <dt>Winner</dt>
              <dd data-testid="winner"><code>${w.pattern}</code>, ${variantLabel(w.variant.index, w.variant.name, w.route.variants.length, w.pattern)}</dd>
              <dt>Forwarded to</dt>
              <dd><code data-testid="url">${x.url}</code></dd>
              <dt>Parameters</dt>
              <dd><code data-testid="params">${Object.keys(w.params).length === 0 ? '(none)' : JSON.stringify(w.params)}</code></dd>
              ${
                w.remainder !== undefined
                  ? html`<dt>Remainder</dt>
                      <dd><code>${w.remainder === '' ? '(empty)' : w.remainder}</code></dd>`
                  : nothing
              }
            </dl>`
      }
      ${
        x.candidates.length === 0
          ? html`<p class="muted">No pattern matches this path.</p>`
          : html`<h4>Candidates, in precedence order</h4>
              <ol class="candidates" data-testid="candidates">
                ${x.candidates.map((c, ci) => {
                  const accepted = c.variants.find((v) => v.accepted);
                  let verdict: TemplateResult;
                  if (ci === winnerIndex)
                    verdict = html`<span class="ok">serves the request</span> with
                      ${variantLabel(accepted!.variant.index, accepted!.variant.name, c.variants.length, c.route.pattern)}`;
                  else if (accepted !== undefined && winnerIndex >= 0 && ci > winnerIndex)
                    verdict = html`<span class="muted">would accept it, but <code>${x.candidates[winnerIndex]!.route.pattern}</code> comes first in precedence</span>`;
                  else
                    verdict = html`<span class="warn">no variant accepts the request</span>:
                      <ul class="why">
                        ${c.variants.map((v) => html`<li>${c.variants.length > 1 ? `#${v.variant.index + 1}` : 'the variant'}: ${v.failed.map((f) => describeFailure(f, v.variant)).join('; ')}</li> `)}
                      </ul>`;
                  return html`<li><code>${c.route.pattern}</code>: ${verdict}</li>`;
                })}
              </ol>`
      }
    `;
  }

  private renderJson(): TemplateResult {
    return html`<details class="json panel spaced">
      <summary>JSON (two-way: edits here update the form)</summary>
      <label for="json" class="help">The table as stored</label>
      <textarea
        id="json"
        spellcheck="false"
        aria-invalid=${this.jsonError !== '' ? 'true' : 'false'}
        aria-describedby="json-msg"
        .value=${this.jsonText}
        @focus=${() => (this.jsonFocused = true)}
        @blur=${() => {
          this.jsonFocused = false;
          if (this.jsonError === '') {
            this.jsonText = JSON.stringify(this.routes, null, 2);
            this.requestUpdate();
          }
        }}
        @input=${(e: Event) => this.onJsonInput((e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <div class="msg err" id="json-msg">${this.jsonError}</div>
    </details>`;
  }
}
