/**
 * The element's styles. Colours are custom properties, so a host page can restyle it
 * (`af-route-editor { --af-accent: ... }`); light by default, dark under the user's
 * `prefers-color-scheme` (theme="auto", the default) or `theme="dark"`. Every field keeps a
 * reserved line for its message, so a message appearing while typing never pushes the layout.
 */
import { css } from 'lit';

/** The dark palette, written once: used under prefers-color-scheme (theme="auto") and for theme="dark". */
const DARK_PALETTE = css`
  --af-bg: #16191d;
  --af-fg: #e6e9ed;
  --af-muted: #a4adb8;
  --af-border: #4a525c;
  --af-panel: #21262c;
  --af-accent: #6cb2ff;
  --af-accent-fg: #0b1520;
  --af-error: #ff8a80;
  --af-warn: #f2c46d;
  --af-ok: #7ddc9a;
  --af-focus: #8ab4f8;
`;

export const styles = css`
  :host {
    --af-bg: #ffffff;
    --af-fg: #1b1f24;
    --af-muted: #57606a;
    --af-border: #c8ced6;
    --af-panel: #f5f7f9;
    --af-accent: #0b5cad;
    --af-accent-fg: #ffffff;
    --af-error: #b3261e;
    --af-warn: #7a5200;
    --af-ok: #1a6b35;
    --af-focus: #1a73e8;
    display: block;
    box-sizing: border-box;
    color: var(--af-fg);
    background: var(--af-bg);
    font:
      14px/1.4 system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      sans-serif;
    padding: 12px;
    container-type: inline-size;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${DARK_PALETTE}
    }
  }
  :host([theme='dark']) {
    ${DARK_PALETTE}
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2,
  h3,
  h4 {
    margin: 0 0 6px;
    font-size: 1rem;
  }
  h2 {
    font-size: 1.1rem;
  }
  p {
    margin: 0 0 6px;
  }
  code,
  .mono,
  textarea,
  input.mono {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 13px;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  input,
  select,
  textarea {
    background: var(--af-bg);
    border: 1px solid var(--af-border);
    border-radius: 4px;
    padding: 4px 6px;
    width: 100%;
    min-width: 0;
  }
  textarea {
    resize: vertical;
  }
  input[aria-invalid='true'],
  textarea[aria-invalid='true'] {
    border-color: var(--af-error);
  }
  button {
    background: var(--af-panel);
    border: 1px solid var(--af-border);
    border-radius: 4px;
    padding: 4px 10px;
    cursor: pointer;
    min-height: 30px;
  }
  button.primary {
    background: var(--af-accent);
    color: var(--af-accent-fg);
    border-color: var(--af-accent);
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  :focus-visible {
    outline: 2px solid var(--af-focus);
    outline-offset: 1px;
  }
  .bar {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    align-items: center;
  }
  .bar .grow {
    flex: 1 1 auto;
  }
  .status {
    min-height: 1.4em;
  }
  .err {
    color: var(--af-error);
  }
  .warn {
    color: var(--af-warn);
  }
  .ok {
    color: var(--af-ok);
  }
  .muted {
    color: var(--af-muted);
  }
  .note {
    color: var(--af-muted);
    font-size: 13px;
    border-left: 3px solid var(--af-border);
    padding-left: 8px;
    margin: 8px 0;
  }
  .layout {
    display: grid;
    grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
    gap: 12px;
    margin-top: 8px;
  }
  @container (max-width: 760px) {
    .layout {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  section.panel {
    border: 1px solid var(--af-border);
    border-radius: 6px;
    padding: 10px;
    background: var(--af-panel);
    min-width: 0;
  }
  ol.routes {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 4px;
  }
  ol.routes li button.route {
    width: 100%;
    text-align: left;
    display: grid;
    grid-template-columns: 2em minmax(0, 1fr);
    gap: 2px 6px;
    background: var(--af-bg);
  }
  ol.routes li button.route[aria-current='true'] {
    border-color: var(--af-accent);
    box-shadow: inset 3px 0 0 var(--af-accent);
  }
  .rank {
    color: var(--af-muted);
    grid-row: span 2;
  }
  .pattern {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .variants-line {
    font-size: 12px;
    color: var(--af-muted);
    overflow-wrap: anywhere;
  }
  /* One line each, cut with an ellipsis (the full text is the title): typing a long target never re-wraps the list. */
  .variants-line .v {
    display: block;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  /* line-height 1 and top alignment: a badge appearing never makes its line taller. */
  .badge {
    display: inline-block;
    font-size: 11px;
    line-height: 1;
    vertical-align: top;
    padding: 1px 5px;
    border-radius: 8px;
    border: 1px solid currentColor;
    margin-left: 4px;
  }
  /*
   * Live stats under a route: three lines of fixed height, each cut with an ellipsis (the
   * full text is in the badges' titles), so numbers arriving, changing or going away never
   * move the list. Indented to the pattern's column.
   */
  .live {
    display: grid;
    grid-template-rows: repeat(3, 1.5em);
    padding: 2px 4px 2px calc(2em + 17px);
    font-size: 12px;
    line-height: 1.5em;
    min-width: 0;
  }
  @container (max-width: 480px) {
    .live {
      padding-left: 12px;
    }
  }
  .live .line {
    display: block;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
    font-variant-numeric: tabular-nums;
  }
  .live-legend .line {
    display: block;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .live-legend .ok,
  .live-legend .err {
    font-weight: 600;
  }
  .health {
    display: inline-block;
    line-height: 1.2;
    vertical-align: baseline;
    padding: 0 5px;
    margin-right: 4px;
    border-radius: 8px;
    border: 1px solid currentColor;
  }
  .health.healthy {
    color: var(--af-ok);
  }
  .health.ejected,
  .health.unhealthy {
    color: var(--af-error);
    font-weight: 600;
  }
  .health.readmitted {
    color: var(--af-warn);
  }
  .health.unchecked {
    color: var(--af-muted);
  }
  .field {
    display: grid;
    gap: 2px;
    margin-bottom: 2px;
    min-width: 0;
  }
  .field label {
    font-weight: 500;
  }
  .help {
    font-size: 12px;
    color: var(--af-muted);
  }
  .msg {
    min-height: 1.3em;
    font-size: 12px;
  }
  .msg .issue {
    display: block;
  }
  .msg .hint {
    color: var(--af-muted);
  }
  .grid2 {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
    gap: 0 10px;
  }
  fieldset {
    border: 1px solid var(--af-border);
    border-radius: 6px;
    margin: 0 0 8px;
    padding: 8px;
    min-width: 0;
    background: var(--af-bg);
  }
  legend {
    font-weight: 600;
    padding: 0 4px;
  }
  ol.variant-list {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  ol.variant-list > li.dragging {
    opacity: 0.5;
  }
  ol.variant-list > li.drop-target > fieldset {
    border-color: var(--af-accent);
    border-style: dashed;
  }
  .grip {
    cursor: grab;
    user-select: none;
    padding: 4px 6px;
    font-size: 18px;
    line-height: 1;
    color: var(--af-muted);
  }
  details {
    margin: 4px 0;
  }
  summary {
    cursor: pointer;
    font-weight: 500;
    padding: 2px 0;
  }
  .rows {
    display: grid;
    gap: 4px;
    margin-bottom: 4px;
  }
  .row {
    display: grid;
    grid-template-columns: minmax(0, 3fr) minmax(0, 1fr) auto;
    gap: 4px;
    align-items: start;
  }
  .row.cond {
    grid-template-columns: minmax(0, 2fr) minmax(0, 1.4fr) minmax(0, 2fr) auto;
  }
  @container (max-width: 480px) {
    .row.cond {
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
    }
  }
  .tester-grid {
    display: grid;
    grid-template-columns: 8em minmax(0, 1fr) minmax(0, 1fr);
    gap: 0 8px;
    align-items: start;
  }
  @container (max-width: 760px) {
    .tester-grid {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  .spaced {
    margin-top: 12px;
  }
  .full {
    grid-column: 1 / -1;
  }
  .result {
    margin-top: 6px;
  }
  .result dl {
    display: grid;
    grid-template-columns: max-content minmax(0, 1fr);
    gap: 2px 10px;
    margin: 0 0 6px;
  }
  .result dt {
    color: var(--af-muted);
  }
  .result dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  ol.candidates {
    margin: 0;
    padding-left: 1.4em;
  }
  ol.candidates li {
    margin-bottom: 4px;
    overflow-wrap: anywhere;
  }
  ul.why {
    margin: 2px 0 0;
    padding-left: 1.2em;
  }
  .json textarea {
    min-height: 14em;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
