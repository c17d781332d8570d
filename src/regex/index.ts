// Placeholder until the validation branch lands src/regex (re2js wrapper).
import { RE2JS } from 're2js';
import type { LinearRegex } from '../table/route.js';

export function compileLinearRegex(source: string): LinearRegex | { error: string } {
  try {
    const re = RE2JS.compile(source);
    return {
      source,
      test(value: string): boolean {
        try {
          return re.matches(value);
        } catch {
          return false;
        }
      },
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
