// Lint for src/, test/ and bench/ (`npm run lint`, run by .ci/run). Rules are chosen so that a
// finding is a defect, not a taste: formatting is Prettier's job (`npm run format:check`).
//
// - typescript-eslint `recommendedTypeChecked`: rules that need the TypeScript program (read
//   through tsconfig.json by the project service): floating or misused promises, awaiting
//   non-promises, `any` leaking into typed code, stringifying objects, unbound methods.
// - `no-eval` on top (`no-implied-eval` is in the set above): the library must never evaluate
//   strings, except where code generation is the point, which says so in place.
// - @vitest/eslint-plugin `recommended` on tests: tests that assert nothing, focused or skipped
//   tests, unawaited `expect(...).resolves`, expects outside a test, duplicate titles.
import js from '@eslint/js';
import vitest from '@vitest/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Build output, the generated napi loader, the Rust crate, benchmark output. Linted: src/,
    // test/, bench/ and the root config files; docs/, examples/ and soak/ are outside the
    // TypeScript program (tsconfig.json), so not linted (yet).
    ignores: ['dist/', 'bindings/', 'native/', 'bench/results/', '.vitest-cache/', 'docs/', 'examples/', 'soak/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-eval': 'error',
      // A parameter named `_x` is kept on purpose (Express tells error middleware by its arity).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `async` without `await` is how a function promises a Promise to an interface (Fastify
      // plugins, RoutesSource.load, close()); it is not a defect.
      '@typescript-eslint/require-await': 'off',
      // A redundant cast is not a defect, and this rule's autofix removes casts that contextual
      // typing needs (fast-check unions in test/arbitraries.ts stop compiling).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // Tests read JSON from real servers and child processes: a cast to a shape would satisfy
      // these rules without checking anything; the assertions are the check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Assertion helpers (test/support, test/support-browser) and fast-check properties assert too.
      'vitest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*', 'assert*', 'fc.assert', 'check*'] }],
      'vitest/no-disabled-tests': 'error',
      // Vitest's expect takes a message as its second argument (the plugin's default is Jest's one).
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      // Titles built from a variable (one suite per backend) are strings all the same.
      'vitest/valid-title': ['error', { allowArguments: true }],
      // Narrowing a result before asserting on it (`if (!r.ok) expect(r.code)...`) is how these
      // tests read a discriminated union; an expect in afterAll (leak checks) fails the file.
      'vitest/no-conditional-expect': 'off',
      'vitest/no-standalone-expect': 'off',
    },
  },
  {
    // The benchmarks and this file are plain ES modules outside the TypeScript program: untyped rules only.
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
