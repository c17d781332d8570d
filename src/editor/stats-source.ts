/// <reference lib="dom" />
/**
 * Where the editor's live statistics come from: a URL it polls (`stats-url`), or snapshots the
 * host pushes (`stats`), so a dashboard can feed it from its own backend. A Lit reactive
 * controller: polling runs only while the element is in the document (a removed editor stops
 * fetching at once, its request in flight aborted), one request at a time, each bounded by a
 * timeout. A failed, malformed or stale source is reported as "unavailable" with the reason;
 * it never throws into the editor.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { parseStats, trimHistory, type StatsSnapshot } from './live-stats.js';

export const DEFAULT_INTERVAL_S = 2;
export const DEFAULT_WINDOW_S = 60;
/** Faster polling would load the gateway for numbers nobody can read that fast. */
const MIN_INTERVAL_S = 0.5;
/** The window must hold at least two snapshots to show anything. */
const MIN_WINDOW_S = 5;

export type StatsState =
  { kind: 'off' } | { kind: 'waiting' } | { kind: 'ok'; history: readonly StatsSnapshot[] } | { kind: 'unavailable'; reason: string; history: readonly StatsSnapshot[] };

/** A setting given as an attribute: a number of seconds, at least `min`; else the default and why. */
export function secondsSetting(name: string, value: unknown, fallback: number, min: number): { seconds: number; problem: string | null } {
  if (value === undefined || value === null || value === '') return { seconds: fallback, problem: null };
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min) {
    return { seconds: fallback, problem: `${name} must be a number of seconds, at least ${min} (got ${JSON.stringify(value)}); using ${fallback} s` };
  }
  return { seconds: n, problem: null };
}

export class StatsSource implements ReactiveController {
  private url: string | null = null;
  private pushed = false;
  private intervalMs = DEFAULT_INTERVAL_S * 1000;
  private windowMs = DEFAULT_WINDOW_S * 1000;
  private history: StatsSnapshot[] = [];
  private error: string | null = null;
  /** When the last snapshot arrived (this page's clock). */
  private lastAt = 0;
  private connected = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private inFlight: AbortController | null = null;
  /** Bumped whenever the source changes: answers to an older one are dropped. */
  private generation = 0;
  private wasStale = false;
  /** Problems with the settings themselves (shown beside the stats). */
  settingsProblems: string[] = [];

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Polls `url` (relative to the page) every `intervalS` seconds; null stops polling. */
  configure(url: string | null, interval: unknown, window: unknown): void {
    const i = secondsSetting('stats-interval', interval, DEFAULT_INTERVAL_S, MIN_INTERVAL_S);
    const w = secondsSetting('stats-window', window, DEFAULT_WINDOW_S, MIN_WINDOW_S);
    this.settingsProblems = [i.problem, w.problem].filter((p): p is string => p !== null);
    this.intervalMs = i.seconds * 1000;
    this.windowMs = w.seconds * 1000;
    const next = url === null || url.trim() === '' ? null : url.trim();
    if (next === this.url) return;
    this.url = next;
    this.restart();
  }

  /**
   * A snapshot from the host (the admin `/routes` document, or its equivalent); null says the
   * host has none now. Ignored while a URL is polled: two sources would mix their counters.
   */
  push(doc: unknown): void {
    if (this.url !== null) return;
    this.pushed = true;
    if (doc === null || doc === undefined) {
      this.error = 'the host has no statistics to show';
      this.host.requestUpdate();
      return;
    }
    this.accept(doc);
    this.startTicker();
    this.host.requestUpdate();
  }

  get windowSeconds(): number {
    return this.windowMs / 1000;
  }

  get intervalSeconds(): number {
    return this.intervalMs / 1000;
  }

  /** Older than this (three missed updates), the newest snapshot no longer describes the gateway. */
  private get staleAfterMs(): number {
    return Math.max(3 * this.intervalMs, 3_000);
  }

  state(now = Date.now()): StatsState {
    if (this.url === null && !this.pushed) return { kind: 'off' };
    if (this.error !== null) return { kind: 'unavailable', reason: this.error, history: this.history };
    if (this.history.length === 0) return { kind: 'waiting' };
    const age = now - this.lastAt;
    if (age > this.staleAfterMs) return { kind: 'unavailable', reason: `no update for ${Math.round(age / 1000)} s`, history: this.history };
    return { kind: 'ok', history: this.history };
  }

  hostConnected(): void {
    this.connected = true;
    this.restart();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.stop();
  }

  private stop(): void {
    this.generation++;
    this.inFlight?.abort();
    this.inFlight = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  private restart(): void {
    this.stop();
    if (this.url !== null) {
      // Another source: its counters are not comparable with the last one's.
      this.history = [];
      this.error = null;
      this.pushed = false;
    }
    if (!this.connected) return;
    if (this.url !== null) void this.poll(this.generation);
    else if (this.pushed) this.startTicker();
  }

  /** Pushed snapshots have no poll to notice they stopped coming: a tick re-renders when they go stale. */
  private startTicker(): void {
    if (this.ticker !== null || !this.connected) return;
    this.ticker = setInterval(() => {
      const stale = this.state().kind === 'unavailable';
      if (stale !== this.wasStale) this.host.requestUpdate();
      this.wasStale = stale;
    }, 1000);
  }

  private accept(doc: unknown): void {
    try {
      const snapshot = parseStats(doc, Date.now());
      const last = this.history[this.history.length - 1];
      // The same document twice (a host pushing what it already pushed) adds no interval.
      if (last !== undefined && snapshot.collectedAt !== null && snapshot.collectedAt === last.collectedAt) {
        this.lastAt = snapshot.receivedAt;
        this.error = null;
        return;
      }
      this.history = trimHistory([...this.history, snapshot], this.windowMs);
      this.lastAt = snapshot.receivedAt;
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async poll(generation: number): Promise<void> {
    const url = this.url!;
    const abort = new AbortController();
    this.inFlight = abort;
    // A gateway that accepts the connection and never answers must not hold the loop.
    const timeout = setTimeout(() => abort.abort(new DOMException('timed out', 'TimeoutError')), Math.max(this.intervalMs, 5_000));
    let doc: unknown;
    let failure: string | null = null;
    try {
      const res = await fetch(url, { signal: abort.signal, cache: 'no-store', headers: { accept: 'application/json' } });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } | string; message?: unknown } | null;
        const detail = typeof body?.error === 'object' ? body.error.message : (body?.message ?? body?.error);
        failure = `${url} answered HTTP ${res.status}${typeof detail === 'string' ? `: ${detail}` : ''}`;
      } else {
        doc = await res.json().catch(() => {
          failure = `${url} did not answer with JSON`;
        });
      }
    } catch (e) {
      failure =
        abort.signal.aborted && generation === this.generation
          ? `${url} did not answer within ${Math.max(this.intervalMs, 5_000) / 1000} s`
          : `${url} cannot be reached (${(e as Error).message})`;
    } finally {
      clearTimeout(timeout);
    }
    if (generation !== this.generation) return; // stopped or pointed elsewhere meanwhile
    this.inFlight = null;
    if (failure !== null) this.error = failure;
    else this.accept(doc);
    this.host.requestUpdate();
    this.timer = setTimeout(() => void this.poll(generation), this.intervalMs);
  }
}
