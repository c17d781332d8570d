/**
 * `af-routes edit`'s table API, through the real binary over HTTP (no browser): loading with an
 * ETag, saving with If-Match, the refusals (stale version 412, no version 428, invalid table
 * 422 with the issues, another origin or host 403), the atomic write (the old file kept as
 * .bak; a failure between writing the temporary file and the rename leaves the file as it
 * was), and the gateway serving each save at once, with real upstreams on 127.0.0.1.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEditorBuilt, startEditor, type RunningEditor } from './support/editor-cli.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

let dir: string;
let file: string;
let editor: RunningEditor;
let one: TestServer;
let two: TestServer;
const api = () => `${editor.editorUrl}api/routes`;

function named(name: string) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name} ${req.method} ${req.url}`);
  };
}

async function load(): Promise<{ etag: string; body: { routes: unknown; file: string; gateway: string; exists: boolean } }> {
  const res = await fetch(api());
  expect(res.status).toBe(200);
  return { etag: res.headers.get('etag')!, body: (await res.json()) as never };
}

function save(routes: unknown, etag: string | undefined, headers: Record<string, string> = {}) {
  return fetch(api(), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(etag !== undefined ? { 'if-match': etag } : {}), ...headers },
    body: JSON.stringify(routes),
  });
}

beforeAll(async () => {
  await ensureEditorBuilt();
  one = await startServer(named('one'));
  two = await startServer(named('two'));
  dir = await mkdtemp(join(tmpdir(), 'af-edit-save-'));
  file = join(dir, 'routes.json');
  await writeFile(file, JSON.stringify({ '/svc/*': one.url }, null, 2) + '\n');
  editor = await startEditor(file);
}, 180_000);

afterAll(async () => {
  await editor?.stop();
  await one?.close();
  await two?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('af-routes edit: the table API', () => {
  it('loads the table with an ETag and the gateway serves it', async () => {
    const { etag, body } = await load();
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(body).toMatchObject({ routes: { '/svc/*': one.url }, file, exists: true, gateway: editor.gatewayUrl });
    const r = await fetch(`${editor.gatewayUrl}/svc/a?x=1`);
    expect(await r.text()).toBe('one GET /a?x=1');
  });

  it('saves over the loaded version: atomic write, .bak of the previous one, served at once', async () => {
    const before = await readFile(file, 'utf8');
    const { etag } = await load();
    const res = await save({ '/svc/*': two.url }, etag);
    expect(res.status).toBe(200);
    const newTag = res.headers.get('etag');
    expect(newTag).not.toBe(etag);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ '/svc/*': two.url });
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(before);
    expect((await load()).etag).toBe(newTag);
    expect(await (await fetch(`${editor.gatewayUrl}/svc/b`)).text()).toBe('two GET /b');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a save over a version that changed since it was loaded (412), and writes nothing', async () => {
    const { etag: old } = await load();
    expect((await save({ '/svc/*': one.url }, old)).status).toBe(200); // the first tab saves
    const current = await readFile(file, 'utf8');
    const stale = await save({ '/svc/*': two.url, '/other': two.url }, old); // the second tab, loaded before
    expect(stale.status).toBe(412);
    const body = (await stale.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('stale-version');
    expect(body.error.message).toMatch(/changed since this page loaded it.*your edits here were not written/s);
    expect(await readFile(file, 'utf8')).toBe(current);
  });

  it('refuses a version changed on disk by another program (the ETag is the content)', async () => {
    const { etag } = await load();
    await writeFile(file, JSON.stringify({ '/svc/*': two.url, '/x': one.url }) + '\n');
    await editor.waitFor(/Reloaded .*routes\.json: now serving 2 routes/, 0, 10_000);
    expect((await save({ '/svc/*': one.url }, etag)).status).toBe(412);
    expect(await (await fetch(`${editor.gatewayUrl}/x`)).text()).toBe('one GET /');
  });

  it('of two saves of one version sent at once, exactly one is written', async () => {
    const { etag } = await load();
    const results = await Promise.all([save({ '/a': one.url }, etag), save({ '/b': two.url }, etag)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results[0]!.status === 200 ? { '/a': one.url } : { '/b': two.url };
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(winner);
  });

  it('validates on the server: an invalid table is refused with its issues (422), a save without a version with 428', async () => {
    const { etag } = await load();
    const before = await readFile(file, 'utf8');
    const bad = await save({ '/a': 'ftp://x', '/b': { target: one.url, retri: {} } }, etag);
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; message: string; errors: { code: string; hint?: string }[] } };
    expect(body.error.code).toBe('invalid-routes');
    expect(body.error.errors.map((e) => e.code).sort()).toEqual(['route-unknown-field', 'target-bad-protocol']);
    expect(body.error.errors.find((e) => e.code === 'route-unknown-field')!.hint).toMatch(/retry/);
    const noVersion = await save({ '/a': one.url }, undefined);
    expect(noVersion.status).toBe(428);
    expect(((await noVersion.json()) as { error: { message: string } }).error.message).toMatch(/If-Match/);
    expect((await save({ '/a': one.url }, etag, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('answers only its own origin and host (no cross-site writes, no DNS rebinding)', async () => {
    const { etag } = await load();
    const cross = await save({ '/a': one.url }, etag, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    const port = new URL(editor.editorUrl).port;
    const rebinding = await rawRequest(editor.editorUrl, { path: '/api/routes', headers: { host: `evil.example:${port}` } });
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.body.toString()).error.code).toBe('wrong-host');
    const page = await fetch(editor.editorUrl);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<af-route-editor');
  });

  it('a failure between writing the temporary file and the rename leaves the file intact, and says so', async () => {
    const { etag } = await load();
    const before = await readFile(file, 'utf8');
    // The backup copy, made after the temporary file is written and before the rename, fails:
    // <file>.bak is a directory. (Works as root too, unlike a read-only directory.)
    await rm(`${file}.bak`, { force: true });
    await mkdir(`${file}.bak`);
    await writeFile(join(`${file}.bak`, 'keep'), 'x');
    try {
      const res = await save({ '/svc/*': two.url, '/new': two.url }, etag);
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: 'write-failed' });
      expect(body.error.message).toMatch(/the file is unchanged/);
      expect(await readFile(file, 'utf8')).toBe(before);
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect((await fetch(`${editor.gatewayUrl}/new`)).status).toBe(404);
      expect((await load()).etag).toBe(etag); // the version did not move: the page can retry
    } finally {
      await rm(`${file}.bak`, { recursive: true, force: true });
    }
    expect((await save({ '/svc/*': two.url, '/new': two.url }, etag)).status).toBe(200);
    expect(await (await fetch(`${editor.gatewayUrl}/new`)).text()).toBe('two GET /');
  });

  it('starts on a file that is not valid JSON or a missing one: the page can fix or create it', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "/a": ');
    const second = await startEditor(broken);
    try {
      expect(second.output()).toMatch(/not valid JSON/);
      const res = await fetch(`${second.editorUrl}api/routes`);
      const body = (await res.json()) as { routes: unknown; problem: string };
      expect(body.routes).toBeNull();
      expect(body.problem).toMatch(/not valid JSON.*saving replaces it/);
      expect((await fetch(`${second.gatewayUrl}/a`)).status).toBe(404);
      const put = await fetch(`${second.editorUrl}api/routes`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': res.headers.get('etag')! },
        body: JSON.stringify({ '/a': one.url }),
      });
      expect(put.status).toBe(200);
      expect(await readFile(`${broken}.bak`, 'utf8')).toBe('{ "/a": ');
      expect(await (await fetch(`${second.gatewayUrl}/a`)).text()).toBe('one GET /');
    } finally {
      await second.stop();
    }
    const created = join(dir, 'new.json');
    const third = await startEditor(created);
    try {
      const res = await fetch(`${third.editorUrl}api/routes`);
      expect(res.headers.get('etag')).toBe('"absent"');
      expect(await res.json()).toMatchObject({ routes: null, exists: false });
      const put = await fetch(`${third.editorUrl}api/routes`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': '"absent"' },
        body: JSON.stringify({ '/n': two.url }),
      });
      expect(put.status).toBe(200);
      expect(JSON.parse(await readFile(created, 'utf8'))).toEqual({ '/n': two.url });
      expect(await (await fetch(`${third.gatewayUrl}/n`)).text()).toBe('two GET /');
    } finally {
      expect(await third.stop()).toBe(0);
    }
  });
});
