/**
 * An upstream in its own process, so a test can SIGKILL it mid-run (no clean close, no FIN
 * from a graceful shutdown: sockets die with the process). Answers every request 200 with a
 * short body naming itself (NAME). Sends { type: 'ready', port } over IPC once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const name = process.env['NAME'] ?? 'child';
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end(name));
});
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
