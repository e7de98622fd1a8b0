#!/usr/bin/env node
// Per-address connection limits against clients nobody here wrote: pomelo-protocol over TCP and
// the `ws` package, all from 127.0.0.1 (the chat example with max_connections_per_address 2 and
// exempt_loopback false).
//
//   node address_limits.js PATH/TO/hearth_example_chat
//
// Covers: a third connection from the address is closed at once on both ports (the `ws` client
// gets no HTTP response at all, the TCP client not a byte), the two open sessions keep working,
// and a slot frees when one closes. Exit 0 pass, 1 fail, 77 skipped.
'use strict';

process.noDeprecation = true; // pomelo-protocol uses new Buffer()

try {
  require.resolve('pomelo-protocol');
  require.resolve('ws');
} catch (e) {
  console.log('SKIP: npm packages missing; run tests/node/setup.sh');
  process.exit(77);
}
const assert = require('assert');
const { Client, startServer, withDeadline } = require('./harness');

const program = process.argv[2];
if (!program) {
  console.error('usage: node address_limits.js PATH/TO/hearth_example_chat');
  process.exit(1);
}

async function main() {
  const server = startServer(program, { max_connections_per_address: 2, exempt_loopback: false });
  let failed = false;
  try {
    const addr = await server.addresses;
    const a = new Client('tcp', addr, 'tcp-client');
    const b = new Client('ws', addr, 'ws-client');
    await a.handshake();
    await b.handshake();
    let r = await a.request('room.join', { name: 'alice' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    console.log('ok two sessions from 127.0.0.1 (tcp, ws)');

    // The third: the WebSocket client's upgrade gets no response (the socket is closed at accept).
    const c = new Client('ws', addr, 'ws-refused');
    const err = await withDeadline(c.opened.then(() => null, (e) => e), 5000, 'the refused upgrade');
    assert.ok(err, 'the third WebSocket client was upgraded');
    assert.ok(!/Unexpected server response/.test(err.message), `an HTTP answer instead of a close: ${err.message}`);
    // The TCP client: connected by the kernel, closed by the gate without a byte.
    const d = new Client('tcp', addr, 'tcp-refused');
    await d.opened.catch(() => {});
    await d.waitClosed('the refused TCP connection', 3000);
    assert.strictEqual(d.events.length, 0, 'the refused TCP client received packets');
    console.log(`ok the third connection is closed at once (ws: ${err.message}; tcp: no byte)`);

    // The open sessions did not notice.
    r = await b.request('room.join', { name: 'bob' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    console.log('ok the open sessions keep working');

    // One closes: the address may connect again (the release reaches the gate's accepting
    // worker just after the close; retry until admitted, within a deadline).
    a.sock.destroy();
    await a.waitClosed('our own close');
    const until = Date.now() + 5000;
    let e;
    for (;;) {
      e = new Client('tcp', addr, 'tcp-again');
      try {
        await withDeadline(e.handshake(), 1000, 'a handshake');
        break;
      } catch (x) {
        e.sock.destroy();
        if (Date.now() > until) throw new Error(`no slot freed after the close: ${x.message}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    r = await e.request('room.join', { name: 'carol' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    console.log('ok a slot frees when a session closes');
    for (const x of [b, e]) x.sock.destroy ? x.sock.destroy() : x.sock.terminate();
  } catch (x) {
    failed = true;
    console.error('FAIL:', x && x.stack ? x.stack : x);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
