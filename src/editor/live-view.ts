/// <reference lib="dom" />
/**
 * The live statistics as the route list shows them: a legend above the list, and under each
 * route three lines of text (rates and error shares; latency and the total; each target's
 * health as a badge). Every state is words and symbols, colour only adds to them. The three
 * lines are always there while a source is set, whatever they hold ("waiting", "unavailable",
 * numbers), so nothing moves when data comes, goes or changes.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { formatQuantile, formatRate, formatSeconds, formatShare, routeLive, type TargetBadge, type TargetState } from './live-stats.js';
import type { StatsSource, StatsState } from './stats-source.js';

const SYMBOL: Record<TargetState, string> = { healthy: '✓', readmitted: '↺', unchecked: '?', unhealthy: '✕', ejected: '✕' };
const LABEL: Record<TargetState, string> = { healthy: 'healthy', readmitted: 'readmitted', unchecked: 'unchecked', unhealthy: 'unhealthy', ejected: 'ejected' };

/** `http://127.0.0.1:4000/api` → `127.0.0.1:4000/api`: the badge names the target briefly (the title has it whole). */
function shortUrl(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
}

export function renderLegend(source: StatsSource, state: StatsState): TemplateResult | typeof nothing {
  if (state.kind === 'off') return nothing;
  const problems = source.settingsProblems;
  const status =
    state.kind === 'waiting'
      ? html`<span class="muted">waiting for the first snapshot…</span>`
      : state.kind === 'unavailable'
        ? html`<span class="err" data-testid="stats-problem">⚠ stats unavailable: ${state.reason}</span>`
        : html`<span class="ok">● live</span>`;
  // The status has one line of its own, cut with an ellipsis: a long reason never pushes the list down.
  return html`<p class="help live-legend" data-testid="stats-legend">
    <span class="line" title=${state.kind === 'unavailable' ? state.reason : ''}>Live from the gateway: ${status}</span>
    Under each route: requests/s between the last two snapshots; 5xx and 4xx shares and latency (p50/p95) over the last ${source.windowSeconds} s; the total since the gateway
    started; each target's health. ${problems.length > 0 ? html`<br /><span class="err">${problems.join('; ')}</span>` : nothing}
  </p>`;
}

/**
 * The badges of a route's targets: one per target that is out or was (ejected, unhealthy,
 * readmitted), worst first, naming it; healthy and unchecked targets one badge per state with
 * their count when there are several (their URLs in its title), so a route with many targets
 * still fits its line and the ones that need a look come first.
 */
function badges(targets: readonly TargetBadge[]): TemplateResult[] {
  const order: TargetState[] = ['ejected', 'unhealthy', 'readmitted', 'healthy', 'unchecked'];
  const out: TemplateResult[] = [];
  for (const state of order) {
    const of = targets.filter((t) => t.state === state);
    if (of.length === 0) continue;
    if (of.length === 1 || state === 'ejected' || state === 'unhealthy' || state === 'readmitted') out.push(...of.map(badge));
    else
      out.push(
        html`<span class="health ${state}" data-state=${state} title=${of.map((t) => t.detail).join('\n')}
          ><span aria-hidden="true">${SYMBOL[state]}</span> ${of.length} ${LABEL[state]}</span
        >`,
      );
  }
  return out;
}

function badge(t: TargetBadge): TemplateResult {
  return html`<span class="health ${t.state}" data-state=${t.state} title=${t.detail}
    ><span aria-hidden="true">${SYMBOL[t.state]}</span> ${LABEL[t.state]} <span class="mono">${shortUrl(t.url)}</span></span
  >`;
}

/** The three lines under a route (`pattern`), or nothing when no source is set. */
export function renderRouteLive(source: StatsSource, state: StatsState, pattern: string): TemplateResult | typeof nothing {
  if (state.kind === 'off') return nothing;
  const lines = (a: unknown, b: unknown, c: unknown, title = '') =>
    html`<div class="live" data-testid="live" title=${title}><span class="line">${a}</span><span class="line">${b}</span><span class="line">${c}</span></div>`;
  if (state.kind === 'waiting') return lines(html`<span class="muted">live stats: waiting…</span>`, '', '');
  if (state.kind === 'unavailable') return lines(html`<span class="muted" data-testid="unavailable">⚠ stats unavailable</span>`, '', '', state.reason);
  const live = routeLive(state.history, pattern);
  if (live === null) return lines(html`<span class="muted" data-testid="not-served">not served by the gateway (yet): save to serve it</span>`, '', '');
  const rate = live.perSecond === null ? 'measuring…' : formatRate(live.perSecond);
  const errors =
    live.windowRequests === null
      ? ''
      : live.windowRequests === 0
        ? html` · <span class="muted">no requests in ${source.windowSeconds} s</span>`
        : html` ·
            <span data-testid="errors"
              ><span class=${live.share5xx !== null && live.share5xx > 0 ? 'err' : ''}>5xx ${live.share5xx === null ? 'n/a' : formatShare(live.share5xx)}</span
              >${live.share4xx !== null ? html` · <span class=${live.share4xx > 0 ? 'warn' : ''}>4xx ${formatShare(live.share4xx)}</span>` : nothing}</span
            >`;
  const latency =
    live.p50 !== null
      ? `p50 ${formatQuantile(live.p50)} · p95 ${live.p95 === null ? 'n/a' : formatQuantile(live.p95)}`
      : live.meanSeconds !== null
        ? `mean ${formatSeconds(live.meanSeconds)}`
        : live.total > 0
          ? `latency: none in ${source.windowSeconds} s`
          : 'latency: no requests yet';
  return lines(
    html`<span data-testid="rate">${rate}</span>${errors}`,
    html`<span data-testid="latency">${latency}</span> · <span data-testid="total">total ${live.total}</span>`,
    live.targets.length === 0
      ? html`<span class="muted">no targets</span>`
      : html`<span data-testid="targets">${badges(live.targets).map((b, i) => html`${i > 0 ? ' ' : ''}${b}`)}</span>`,
  );
}
