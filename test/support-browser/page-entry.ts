/** The browser page's script: the portable entry and the harness, on `globalThis.routingHarness`. */
import * as api from '../../src/browser.js';
import { environment, runCases, type Case } from './harness.js';

(globalThis as unknown as { routingHarness: unknown }).routingHarness = {
  run: (cases: Case[]) => runCases(api, cases),
  environment: () => environment(api),
  // Taken by the page's own script at load: code a test driver evaluates may be exempt from the page's CSP.
  atLoad: environment(api),
  schemaTitle: api.routesJsonSchema.title,
};
