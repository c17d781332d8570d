let available: boolean | undefined;

/**
 * Whether `new Function` works here: it throws EvalError where code generation from strings
 * is forbidden (`--disallow-code-generation-from-strings`, a CSP, some enclaves), and there
 * the interpreter and `materialize` serve.
 */
export function codegenAvailable(): boolean {
  if (available === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- the probe of whether code generation from strings is allowed here
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}
