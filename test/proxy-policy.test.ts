/**
 * The outbound policy (SPEC section 8): refused when on, served when off, judged on IP-literal
 * targets, on every address DNS returns (a custom lookup makes a name resolve to 127.0.0.1),
 * and on the address a socket actually connected to. Addresses that no server here can have
 * (10.0.0.1, 169.254.169.254) are checked through the verdict function and through a test
 * connector that records what the proxy asked to connect to and hands it a local socket
 * instead: no packet ever leaves the loopback interface.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import type { buildConnector } from 'undici';
import { describe, expect, it } from 'vitest';
import { checkAddress, compile, createFetchHandler, createNodeRuntimeRouter, createUndiciTransport } from '../src/index.js';
import { policyLookup } from '../src/proxy/policy-connector.js';
import { classifyAddress } from '../src/proxy/policy.js';
import { startGateway, startNodeProxy } from './support/gateway.js';
import { echoHandler, eventually, json, rawRequest, startServer } from './support/servers.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';

const track = closeAfterEachAndCheckSockets();

describe('the verdict function', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1.2.3.4', 'reserved'],
    ['fec0::1', 'site-local'],
  ])('refuses %s (%s)', (address, cls) => {
    expect(checkAddress(address)).toEqual({ address, class: cls, allowed: false });
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2a00:1450:4001::1'])(
    'allows the public address %s',
    (address) => {
      expect(checkAddress(address)).toEqual({ address, class: 'public', allowed: true });
    },
  );

  it('refuses what is not an IP address, and parses nothing loosely', () => {
    expect(checkAddress('example.com')).toEqual({ address: 'example.com', class: null, allowed: false });
    for (const text of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', 'g::1']) expect(classifyAddress(text), text).toBeNull();
  });

  it('policyLookup drops refused addresses and fails when none is left', async () => {
    const fake = ((_host: string, options: { all?: boolean }, cb: (e: Error | null, a: string | LookupAddress[], f?: number) => void) => {
      const all: LookupAddress[] = [
        { address: '127.0.0.1', family: 4 },
        { address: '93.184.215.14', family: 4 },
        { address: '::1', family: 6 },
      ];
      if (options.all) cb(null, all);
      else cb(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const wrapped = policyLookup(fake);
    const many = await new Promise<LookupAddress[]>((resolve, reject) =>
      wrapped('mixed.test', { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses as unknown as LookupAddress[]))),
    );
    expect(many).toEqual([{ address: '93.184.215.14', family: 4 }]);
    const single = await new Promise<Error | null>((resolve) => wrapped('mixed.test', {}, (err) => resolve(err)));
    expect(single).toMatchObject({ code: 'ERR_OUTBOUND_BLOCKED', addressClass: 'loopback' });
  });
});

describe('IP-literal targets with real servers', () => {
  const cases: [string, string, (port: number) => string][] = [
    ['127.0.0.1', '127.0.0.1', (p) => `http://127.0.0.1:${p}`],
    ['::1', '::1', (p) => `http://[::1]:${p}`],
    ['::ffff:127.0.0.1', '127.0.0.1', (p) => `http://[::ffff:127.0.0.1]:${p}`],
  ];
  for (const [name, listenOn, target] of cases) {
    it(`${name}: refused with the policy on, served with it off`, async () => {
      const up = await track(startServer(echoHandler(), listenOn));
      const on = await track(startGateway({ '/*': target(up.port) }, { blockPrivateNetworks: true }));
      const refused = await rawRequest(on.url, { path: '/x' });
      expect(refused.status).toBe(502);
      expect(json(refused)).toEqual({ error: { code: 'outbound-blocked', message: expect.any(String) }, route: '/*' });
      expect(refused.body.toString()).not.toContain(String(up.port));
      expect(up.connections()).toBe(0);

      const off = await track(startGateway({ '/*': target(up.port) }, { blockPrivateNetworks: false }));
      const served = await rawRequest(off.url, { path: '/x' });
      expect(served.status).toBe(200);
      expect(json(served).url).toBe('/x');
    });
  }
});

describe('addresses no server here can have (10.0.0.1, 169.254.169.254)', () => {
  for (const [address, cls] of [
    ['10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
  ] as const) {
    it(`${address}: refused before any connection when on; attempted when off`, async () => {
      expect(checkAddress(address)).toMatchObject({ allowed: false, class: cls });
      const up = await track(startServer(echoHandler()));
      const attempts: string[] = [];
      // Records where the proxy wanted to connect and hands it a local socket instead.
      const connect: buildConnector.connector = (options, callback) => {
        attempts.push(options.hostname);
        const socket = net.connect(up.port, '127.0.0.1');
        socket.once('connect', () => callback(null, socket));
        socket.once('error', (err) => callback(err, null));
      };
      const on = await track(startNodeProxy({ '/*': `http://${address}` }, { blockPrivateNetworks: true, connect }));
      const refused = await rawRequest(on.url, { path: '/meta' });
      expect(refused.status).toBe(502);
      expect(json(refused).error.code).toBe('outbound-blocked');
      expect(attempts).toEqual([]);

      const off = await track(startNodeProxy({ '/*': `http://${address}` }, { blockPrivateNetworks: false, connect }));
      const served = await rawRequest(off.url, { path: '/meta' });
      expect(attempts).toEqual([address]); // the request was attempted, not refused by policy
      expect(served.status).toBe(200);
      expect(json(served).headers.host).toBe(address);
    });
  }
});

describe('names', () => {
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    if (hostname !== 'internal.test') return (dnsLookup as unknown as LookupFunction)(hostname, options, callback as never);
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;

  it('a host name that resolves to 127.0.0.1: refused when on, served when off', async () => {
    const up = await track(startServer(echoHandler()));
    const on = await track(startGateway({ '/*': `http://internal.test:${up.port}` }, { blockPrivateNetworks: true, lookup }));
    const refused = await rawRequest(on.url, { path: '/x' });
    expect(refused.status).toBe(502);
    expect(json(refused).error.code).toBe('outbound-blocked');
    expect(up.connections()).toBe(0);

    const off = await track(startGateway({ '/*': `http://internal.test:${up.port}` }, { blockPrivateNetworks: false, lookup }));
    const served = await rawRequest(off.url, { path: '/x' });
    expect(served.status).toBe(200);
    expect(json(served).headers.host).toBe(`internal.test:${up.port}`);
  });

  it('judges the address actually connected to (a name whose connection lands on loopback)', async () => {
    const up = await track(startServer(echoHandler()));
    // As if DNS answered differently at connection time than at any earlier check.
    const connect: buildConnector.connector = (_options, callback) => {
      const socket = net.connect(up.port, '127.0.0.1');
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (err) => callback(err, null));
    };
    const on = await track(startNodeProxy({ '/*': 'http://rebinding.test' }, { blockPrivateNetworks: true, connect }));
    const refused = await rawRequest(on.url, { path: '/x' });
    expect(refused.status).toBe(502);
    expect(json(refused).error.code).toBe('outbound-blocked');
    await eventually(() => up.openConnections() === 0, 2_000, 'the refused socket to close');
  });
});

describe('other interfaces', () => {
  it('the fetch handler refuses a loopback literal when on and serves it when off', async () => {
    const up = await track(startServer(echoHandler()));
    const transport = createUndiciTransport();
    await track(transport);
    const router = compile({ '/*': up.url });
    const on = createFetchHandler({ router, transport, blockPrivateNetworks: true });
    const refused = await on(new Request('http://gw.test/x'));
    expect(refused!.status).toBe(502);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe('outbound-blocked');
    const off = createFetchHandler({ router, transport, blockPrivateNetworks: false });
    const served = await off(new Request('http://gw.test/x'));
    expect(served!.status).toBe(200);
    expect(((await served!.json()) as { url: string }).url).toBe('/x');
    expect(up.connections()).toBe(1);
  });

  it('the fetch handler on an undici transport judges DNS answers too', async () => {
    const up = await track(startServer(echoHandler()));
    const lookup = ((_h: string, o: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as LookupFunction;
    const transport = createUndiciTransport({ blockPrivateNetworks: true, lookup });
    await track(transport);
    const handler = createFetchHandler({ router: compile({ '/*': `http://name.test:${up.port}` }), transport });
    const res = await handler(new Request('http://gw.test/x'));
    expect(res!.status).toBe(502);
    expect(((await res!.json()) as { error: { code: string } }).error.code).toBe('outbound-blocked');
    expect(up.connections()).toBe(0);
  });

  it('the runtime router has the policy on by default', async () => {
    const up = await track(startServer(echoHandler()));
    const runtime = createNodeRuntimeRouter({ loadRoutes: () => ({ '/*': up.url }) });
    await track(runtime);
    const res = await runtime.handleRequest('fn', new Request('http://fn.test/x'));
    expect(res!.status).toBe(502);
    expect(((await res!.json()) as { error: { code: string } }).error.code).toBe('outbound-blocked');
    expect(up.connections()).toBe(0);
  });
});
