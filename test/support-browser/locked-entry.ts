/**
 * Bundled (esbuild, platform node) by test/runtime-locked-*.test.ts and run as
 * `node --disallow-code-generation-from-strings bundle.mjs cases.json`: runs the cases with
 * the main entry in the main thread and again inside a `worker_threads` Worker, and prints
 * one JSON line with both reports.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as api from '../../src/index.js';
import { environment, runCases, type Case } from './harness.js';

function report(casesPath: string) {
  let evalBlocked: string | false = false;
  try {
    // eslint-disable-next-line no-eval
    (0, eval)('1');
  } catch (e) {
    evalBlocked = e instanceof Error ? e.name : String(e);
  }
  let nativeChoice: string;
  try {
    // `backend: 'native'` throws when the addon cannot load: the public way to ask.
    nativeChoice = api.compile({ '/probe': 'http://probe.invalid' }, { backend: 'native' }).backend;
  } catch (e) {
    nativeChoice = 'unavailable: ' + (e instanceof Error ? e.message : String(e));
  }
  const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as Case[];
  return { evalBlocked, nativeChoice, env: environment(api), results: runCases(api, cases) };
}

if (isMainThread) {
  const casesPath = process.argv[2]!;
  const main = report(casesPath);
  const worker = new Worker(new URL(import.meta.url), { workerData: { casesPath } });
  const inWorker = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited with ${code} before reporting`)));
  });
  await worker.terminate();
  process.stdout.write(JSON.stringify({ main, worker: inWorker }) + '\n');
} else {
  parentPort!.postMessage(report((workerData as { casesPath: string }).casesPath));
}
