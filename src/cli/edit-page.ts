/**
 * The page `af-routes edit` serves around `<af-route-editor>`: it loads the table with its
 * ETag, saves with `If-Match`, and says plainly when a save was refused (a stale version, a
 * table the server finds invalid), and shows the gateway's live stats from /api/stats (same
 * origin). Script and styles are files of their own, so the page runs
 * under a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval'.
 */

export const EDIT_PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const EDIT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>af-routes edit</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
<script type="module" src="/page.js"></script>
</head>
<body>
<header class="top">
  <h1>Route editor</h1>
  <p><span id="file">loading…</span> · gateway <a id="gateway" href="#">…</a></p>
  <label for="theme">Theme</label>
  <select id="theme"><option value="auto">system</option><option value="light">light</option><option value="dark">dark</option></select>
</header>
<main>
  <div id="banner" role="alert" hidden>
    <span id="banner-text"></span>
    <button type="button" id="reload">Load the saved version (discards your edits)</button>
  </div>
  <af-route-editor heading="Routes" stats-url="/api/stats"></af-route-editor>
</main>
</body>
</html>
`;

export const EDIT_PAGE_CSS = `
:root { color-scheme: light dark; }
html, body { margin: 0; }
body { font: 14px/1.4 system-ui, sans-serif; background: #eef1f4; color: #1b1f24; }
body.dark { background: #0e1013; color: #e6e9ed; }
@media (prefers-color-scheme: dark) { body:not(.light) { background: #0e1013; color: #e6e9ed; } }
a { color: inherit; }
.top { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; padding: 8px 12px; }
.top h1 { font-size: 1.2rem; margin: 0; }
.top p { margin: 0; flex: 1 1 auto; overflow-wrap: anywhere; }
main { padding: 0 8px 16px; }
#banner { border: 2px solid #b3261e; border-radius: 6px; padding: 8px; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
#banner[hidden] { display: none; }
button, select { font: inherit; }
`;

export const EDIT_PAGE_JS = `import '/editor.js';
const editor = document.querySelector('af-route-editor');
const banner = document.getElementById('banner');
const bannerText = document.getElementById('banner-text');
const theme = document.getElementById('theme');
let etag = null;
let file = '';

function setTheme(value) {
  editor.setAttribute('theme', value);
  document.body.classList.toggle('dark', value === 'dark');
  document.body.classList.toggle('light', value === 'light');
}
theme.addEventListener('change', () => setTheme(theme.value));
const wanted = new URLSearchParams(location.search).get('theme');
if (wanted === 'light' || wanted === 'dark') { theme.value = wanted; setTheme(wanted); }

async function load() {
  const res = await fetch('/api/routes', { cache: 'no-store' });
  const body = await res.json();
  etag = res.headers.get('etag');
  file = body.file;
  document.getElementById('file').textContent = body.file + (body.exists ? '' : ' (new file)');
  const gw = document.getElementById('gateway');
  gw.textContent = body.gateway;
  gw.href = body.gateway;
  editor.caseInsensitive = body.options.caseInsensitive;
  editor.ignoreTrailingSlash = body.options.ignoreTrailingSlash;
  editor.routes = body.routes ?? {};
  editor.status = body.problem ? { kind: 'error', message: body.problem } : null;
  banner.hidden = true;
  document.body.dataset.loaded = 'true';
}

editor.addEventListener('save', async (event) => {
  editor.saving = true;
  try {
    const res = await fetch('/api/routes', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': etag ?? '' },
      body: JSON.stringify(event.detail.routes, null, 2) + '\\n',
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) {
      etag = res.headers.get('etag');
      editor.status = { kind: 'ok', message: 'Saved to ' + file + '; the gateway serves it now.' };
      banner.hidden = true;
    } else {
      const message = body.error?.message ?? ('Save failed: HTTP ' + res.status);
      editor.status = { kind: 'error', message };
      if (res.status === 412) {
        bannerText.textContent = message;
        banner.hidden = false;
      }
    }
  } catch (e) {
    editor.status = { kind: 'error', message: 'Save failed: the edit server cannot be reached (' + e.message + '). Your edits are still here.' };
  } finally {
    editor.saving = false;
  }
});
document.getElementById('reload').addEventListener('click', () => void load());
void load();
`;
