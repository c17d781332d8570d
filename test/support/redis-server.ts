/**
 * A throwaway Redis server for tests: `redis-server` on a free port of 127.0.0.1, no
 * persistence, stopped (and startable again on the same port) by the test. Never the system's
 * service. Install it with `apt-get install -y redis-server` (.ci/run does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

export interface RedisServer {
  port: number;
  url: string;
  /** The server process's id (to pause it with SIGSTOP). */
  pid(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`redis-server did not start (apt-get install -y redis-server): ${err.message}`)));
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${stderr}`)));
    });
    failed.catch(() => {});
    child = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await Promise.race([canConnect(port), failed]);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not accept connections on ${port} within 10 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === null || proc.exitCode !== null) return;
    child = null;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  const pid = (): number => {
    if ((child as ChildProcess | null)?.pid === undefined) throw new Error('redis-server is not running');
    return (child as ChildProcess).pid!;
  };
  return { port, url: `redis://127.0.0.1:${port}`, pid, start, stop, destroy: stop };
}
