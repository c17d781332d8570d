/**
 * SPEC 11 `idleTimeout` of a route applied to its upgraded connections (issue 19 "an idle
 * timeout per route"): no byte either way for that long closes both sockets, and the route's
 * value overrides the proxy-wide `upgradeIdleTimeout` in both directions (shorter and longer).
 * Real `ws` clients and servers on 127.0.0.1; closures are observed by events (the client's
 * 'close', the upstream's server-side socket count), and no socket is left open after a test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compile, type GatewayOptions } from '../src/index.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { eventually } from './support/servers.js';
import { closed, nextMessage, openWs, startUpgradeGateway, startWsEcho } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();

async function setup(routes: (upstream: string) => Record<string, unknown>, options: Omit<GatewayOptions, 'router'>) {
  const up = await track(startWsEcho());
  const gw = await track(startUpgradeGateway(compile(routes(up.url) as never, { backend: 'js' }), options));
  return { up, gw };
}

describe("a route's idleTimeout on its upgraded connections", () => {
  it('closes a silent tunnel after the route idleTimeout (shorter than the proxy-wide one), both sockets, and never cuts one that keeps sending', async () => {
    const { up, gw } = await setup((u) => ({ '/short/*': { target: u, idleTimeout: '200ms' } }), { upgradeIdleTimeout: 60_000 });
    const idle = await openWs(`${gw.wsUrl}/short/idle`);
    const busy = await openWs(`${gw.wsUrl}/short/busy`);
    expect(up.clients().size).toBe(2);
    const idleClosed = closed(idle);
    let echoed = 0;
    busy.on('message', () => echoed++);
    // A message every 50 ms: a quarter of the route's idle timeout.
    const timer = setInterval(() => busy.send('tick'), 50);
    try {
      // The proxy closes without a close frame: the client reports 1006.
      expect((await idleClosed).code).toBe(1006);
      // The upstream side of the idle tunnel is closed too.
      await eventually(() => up.clients().size === 1, 2_000, "the idle tunnel's upstream socket to close");
      // Keep going for three more idle timeouts after the idle one was cut: the busy one lives on.
      const before = echoed;
      await eventually(() => echoed >= before + 12, 5_000, '12 more echoes on the busy tunnel');
      expect(busy.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(timer);
    }
    const done = closed(busy);
    busy.close(4000, 'done');
    expect(await done).toEqual({ code: 4000, reason: 'done' });
  });

  it('a longer route idleTimeout outlives the proxy-wide upgradeIdleTimeout that closes the other routes', async () => {
    const { gw } = await setup((u) => ({ '/long/*': { target: u, idleTimeout: '30s' }, '/plain/*': u }), { upgradeIdleTimeout: 200 });
    const plain = await openWs(`${gw.wsUrl}/plain/x`);
    const long = await openWs(`${gw.wsUrl}/long/x`);
    const longClosed = closed(long);
    let longGone = false;
    void longClosed.then(() => (longGone = true));
    // Both silent: the one on the route without its own value goes at the proxy-wide 200 ms...
    expect((await closed(plain)).code).toBe(1006);
    // ...and three times that later the long one is still open and carries messages.
    await sleep(600);
    expect(longGone).toBe(false);
    expect(long.readyState).toBe(WebSocket.OPEN);
    long.send('after the proxy-wide timeout');
    expect((await nextMessage(long)).data.toString()).toBe('after the proxy-wide timeout');
    long.close();
    await longClosed;
  });
});
