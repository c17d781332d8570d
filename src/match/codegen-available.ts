let available: boolean | undefined;

/**
 * Whether `new Function` works here: it throws EvalError where code generation from strings
 * is forbidden (`--disallow-code-generation-from-strings`, a CSP, some enclaves), and there
 * the interpreter and `materialize` serve.
 */
export function codegenAvailable(): boolean {
  if (available === undefined) {
    try {
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}
