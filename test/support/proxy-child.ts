/**
 * A gateway in its own process, so the streaming tests can measure the proxy's resident memory
 * alone. Routes come in ROUTES (JSON). Speaks over IPC:
 *   -> { type: 'ready', port }            once listening on 127.0.0.1
 *   <- { type: 'mark' }  -> { type: 'mark', rss }   resets the peak to the current RSS
 *   <- { type: 'peak' }  -> { type: 'peak', peak, rss }
 *   <- { type: 'close' } -> exits when the server and pools are closed
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compile, createGateway } from '../../src/index.js';

const routes = JSON.parse(process.env['ROUTES'] ?? '{}') as Record<string, string>;
const gateway = createGateway({ router: compile(routes, { backend: 'js' }) });
const server = http.createServer(gateway.handler);
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
}, 5);

server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'mark') {
    (globalThis as { gc?: () => void }).gc?.();
    peak = process.memoryUsage.rss();
    process.send!({ type: 'mark', rss: peak });
  } else if (message.type === 'peak') {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    process.send!({ type: 'peak', peak, rss });
  } else if (message.type === 'close') {
    clearInterval(sampler);
    server.closeAllConnections();
    server.close(() => {
      void gateway.close().then(() => process.exit(0));
    });
  }
});
