/**
 * Backend selection (issue 8): `auto` by the measured rule, the ROUTING_CORE_BACKEND
 * override, explicit options, and a missing addon. CI builds the addon, so these run
 * against the real one; the missing-addon case points the loader elsewhere in a child process.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compile, validateRoutes } from '../src/index.js';
import { loadNativeBackend } from '../src/match/native.js';

const small = { '/api/users/*': 'https://users-service.com', '/u/:id': 'https://u.svc/:id', '/*': 'https://default.com' };
/** Past the code generator's budget (300 nodes of the real tree, `fitsCodegen`: this one has about 6,300). */
const large = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`/t${i}/users/:id`, `https://t${i}.svc/:id`]));

const nativeLoads = loadNativeBackend().ok;
if (!nativeLoads && process.env.CI === 'true') throw new Error('CI builds the native addon: it must load here');

afterEach(() => {
  delete process.env.ROUTING_CORE_BACKEND;
});

describe('auto', () => {
  it('picks the generated TypeScript matcher for a table within its budget (cheaper than one native crossing)', () => {
    expect(compile(small).backend).toBe('js');
  });
  it('picks native beyond the budget, and wherever code generation is off (TypeScript when the addon is absent)', () => {
    const expected = nativeLoads ? 'native' : 'js';
    expect(compile(large).backend).toBe(expected);
    expect(compile(small, { codegen: false }).backend).toBe(expected);
  });
  it('matches the same on whichever backend it picks', () => {
    const auto = compile(large);
    const js = compile(large, { backend: 'js' });
    for (const p of ['/t7/users/42', '/t1499/users/x', '/t1500/users/1', '/t7/users']) expect(auto.match(p)?.params).toEqual(js.match(p)?.params);
  });
});

describe('auto decides on the real tree (issue 11)', () => {
  it('200 routes /a, /aa, ... (200 levels deep) are served natively, not by the interpreter', () => {
    const deep = Object.fromEntries(Array.from({ length: 200 }, (_, i) => ['/' + 'a'.repeat(i + 1), 'https://a.svc']));
    expect(compile(deep).engine).toBe(nativeLoads ? 'native' : 'interpreter');
  });

  it('law: on random tables, auto serves generated code or native code, never the interpreter, when both are possible', () => {
    // Tables of every size and depth around the generator's budget: long literal chains, wide fans, parameters.
    const segment = fc.oneof(fc.stringMatching(/^[a-c]{1,40}$/), fc.constant(':p'), fc.constantFrom('x', 'y', 'users', 'orders'));
    const pattern = fc.array(segment, { minLength: 1, maxLength: 12 }).map((segs) => {
      let n = 0;
      return '/' + segs.map((s) => (s === ':p' ? `:p${n++}` : s)).join('/');
    });
    fc.assert(
      fc.property(fc.uniqueArray(pattern, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 60 }), (patterns, repeat) => {
        const table: Record<string, string> = {};
        for (const p of patterns) table[p] = 'https://svc.example';
        // Stretch some tables past the budget: the same patterns under `repeat` prefixes.
        if (repeat > 40) for (let i = 0; i < repeat * 20; i++) table[`/t${i}` + patterns[i % patterns.length]!] = 'https://svc.example';
        const valid = validateRoutes(table);
        if (!valid.valid) return;
        const engine = compile(table).engine;
        expect(engine).toBe(engine === 'native' || !nativeLoads ? engine : 'generated');
        if (nativeLoads) expect(engine).not.toBe('interpreter');
      }),
      { numRuns: 150 },
    );
  });
});

describe('ROUTING_CORE_BACKEND and explicit options', () => {
  it('the variable overrides auto', () => {
    process.env.ROUTING_CORE_BACKEND = 'js';
    expect(compile(large).backend).toBe('js');
    if (nativeLoads) {
      process.env.ROUTING_CORE_BACKEND = 'native';
      expect(compile(small).backend).toBe('native');
    }
  });
  it('an explicit backend option wins over the variable', () => {
    process.env.ROUTING_CORE_BACKEND = 'native';
    expect(compile(small, { backend: 'js' }).backend).toBe('js');
  });
  it('a bad value is a clear error', () => {
    process.env.ROUTING_CORE_BACKEND = 'rust';
    expect(() => compile(small)).toThrow('ROUTING_CORE_BACKEND must be "js", "native" or "auto", not "rust"');
  });
});

describe('a missing addon', () => {
  it('auto falls back to TypeScript; asking for native says why and how to build it', () => {
    const script = `
      import { compile } from './src/index.ts';
      const out = { auto: compile(${JSON.stringify(small)}, { codegen: false }).backend };
      try { compile({ '/a': 'https://a.example' }, { backend: 'native' }); out.native = 'loaded'; } catch (e) { out.native = e.message; }
      console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, ROUTING_CORE_NATIVE_PATH: '/nonexistent/routing-core.node', ROUTING_CORE_BACKEND: '' },
      encoding: 'utf8',
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { auto: string; native: string };
    expect(out.auto).toBe('js');
    expect(out.native).toMatch(/native routing backend was requested but could not load: .*\/nonexistent\/routing-core\.node/);
  });
});
