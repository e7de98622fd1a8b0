#!/usr/bin/env node
// Drives a Hearth gate (the chat example) with clients nobody here wrote: pomelo-protocol's
// packet and message codecs over a TCP socket and over WebSocket (the `ws` package).
//
//   node gate.js PATH/TO/hearth_example_chat
//
// Covers: handshake (heartbeat, dict), ack, server heartbeats, request/response, notify,
// pushes (plain and dictionary routes), error responses (E flag, stable codes), a join's
// onMembers push before its Response (the server runs 2 workers), idle clients
// of both heartbeat kinds staying connected, the idle kick of a silent client, and the kick
// every client gets when the server shuts down. Exit 0 pass, 1 fail, 77 skipped.
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
const { Protocol, Package, Message, Client, startServer, withDeadline, HEARTBEAT_MS, dict } = require('./harness');

// Joins `count` times, one at a time, and returns how many Responses arrived before the
// onMembers push that room.join sends the joiner before returning (0 is right).
async function joinsAnsweredFirst(c, count) {
  let early = 0;
  for (let k = 0; k < count; ++k) {
    const id = c.nextId++;
    c.send(Package.encode(Package.TYPE_DATA, Message.encode(id, Message.TYPE_REQUEST, 0, 'room.join',
      Protocol.strencode(JSON.stringify({ name: `${c.name}-${k}` })))));
    const response = await c.waitFor((e) => e.type === Package.TYPE_DATA && e.msgType === Message.TYPE_RESPONSE &&
      e.id === id, `the response to join ${k}`);
    assert.deepStrictEqual(response.json, { code: 0, result: 'success' });
    // Exactly one onMembers per join, taken in arrival order.
    const members = await c.push('onMembers');
    if (response.seq < members.seq) ++early;
  }
  return early;
}

const program = process.argv[2];
if (!program) {
  console.error('usage: node gate.js PATH/TO/hearth_example_chat');
  process.exit(1);
}

async function main() {
  const server = startServer(program);
  let failed = false;
  try {
    const addr = await server.addresses;
    const a = new Client('tcp', addr, 'tcp-client');
    const b = new Client('ws', addr, 'ws-client');

    // Handshake and ack.
    const hs = await a.handshake();
    assert.strictEqual(hs.sys.heartbeat, HEARTBEAT_MS / 1000);
    assert.deepStrictEqual(hs.sys.dict, dict);
    assert.ok(typeof hs.sys.servertime === 'number');
    await b.handshake();
    // Like real clients, a and b answer with heartbeats, so only the idle client below goes quiet.
    const keep = setInterval(() => { a.heartbeatBack(); b.heartbeatBack(); }, HEARTBEAT_MS / 2);
    console.log('ok handshake + ack (tcp, ws)');

    // Request/response with a plain route, push with a dictionary route.
    let r = await a.request('room.join', { name: 'alice' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    assert.strictEqual(r.error, false);
    let p = await a.push('onMembers');
    assert.strictEqual(p.compressed, true);
    assert.deepStrictEqual(p.json.members, ['alice']);
    console.log('ok request/response, push with a compressed route');

    // A compressed request route; the first member sees the newcomer.
    r = await b.request('room.join', { name: 'bob' }, true);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    p = await a.push('onNewUser');
    assert.strictEqual(p.json.content, 'New user: bob');
    await b.push('onMembers', (m) => m.members.length === 2);
    console.log('ok compressed request route, broadcast onNewUser');

    // Notify -> broadcast to both, over both transports.
    b.notify('room.message', { name: 'bob', content: 'hello from ws' }, true);
    a.notify('room.message', { name: 'alice', content: 'hello from tcp' }, false);
    for (const c of [a, b]) {
      await c.push('onMessage', (m) => m.content === 'hello from ws');
      await c.push('onMessage', (m) => m.content === 'hello from tcp');
    }
    console.log('ok notify + onMessage broadcast');

    // Errors: every Request is answered, with the E flag and a stable code.
    r = await a.request('nosuch.method', {}, false);
    assert.strictEqual(r.error, true);
    assert.strictEqual(r.json.code, 'not_found');
    r = await b.request('room.nomethod', {}, false);
    assert.strictEqual(r.error, true);
    assert.strictEqual(r.json.code, 'not_found');
    r = await a.request('room.join', 'not an object', false);
    assert.strictEqual(r.error, false, 'room.join tolerates a non-object (guest name)');
    console.log('ok error responses (E flag, not_found)');

    // The server runs two workers: 4 clients (sessions on both) x 50 joins; each join's
    // onMembers push comes before its Response.
    const joiners = [0, 1, 2, 3].map((i) => new Client(i % 2 ? 'ws' : 'tcp', addr, `joiner-${i}`));
    for (const j of joiners) await j.handshake();
    const early = await Promise.all(joiners.map((j) => joinsAnsweredFirst(j, 50)));
    assert.deepStrictEqual(early, [0, 0, 0, 0], 'Responses that overtook their onMembers push, per client');
    console.log('ok 200 joins: onMembers before every Response (2 workers, tcp and ws)');

    // Server heartbeats arrive every HEARTBEAT_MS whatever we do.
    await a.waitFor((e) => e.type === Package.TYPE_HEARTBEAT, 'a server heartbeat', 3000);
    await b.waitFor((e) => e.type === Package.TYPE_HEARTBEAT, 'a server heartbeat', 3000);
    console.log('ok server heartbeats');

    // Idle clients of both kinds stay connected, over TCP and WebSocket, for 6 x heartbeat.
    const idlers = [];
    for (const transport of ['tcp', 'ws']) {
      const answerer = new Client(transport, addr, `${transport}-answers-heartbeats`);
      answerer.answerHeartbeats(HEARTBEAT_MS);
      const timed = new Client(transport, addr, `${transport}-own-timer`);
      idlers.push(answerer, timed);
    }
    await Promise.all(idlers.map((c) => c.handshake()));
    for (const c of idlers) if (c.name.endsWith('own-timer')) c.heartbeatOnOwnTimer(HEARTBEAT_MS);
    await new Promise((resolve) => setTimeout(resolve, 6 * HEARTBEAT_MS)); // the idle time under test
    for (const c of idlers) {
      assert.ok(!c.closed, `${c.name} still connected after 6 x heartbeat idle`);
      r = await c.request('room.join', { name: c.name }, false);
      assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      if (c.name.endsWith('own-timer')) {
        assert.ok(c.heartbeats >= c.sentHeartbeats - 1, `${c.name}: ${c.heartbeats} answers to ${c.sentHeartbeats}`);
      } else {
        assert.ok(c.sentHeartbeats >= 4, `${c.name} answered ${c.sentHeartbeats} heartbeats`);
      }
      c.stopHeartbeats();
    }
    console.log('ok idle clients that only answer heartbeats, or send them on their own timer, stay connected (tcp, ws)');

    // A client that goes silent after the ack is kicked ("heartbeat timeout") after 2 x heartbeat
    // (the bound session/README.md documents), with a close frame over WebSocket.
    for (const transport of ['tcp', 'ws']) {
      const idle = new Client(transport, addr, `${transport}-silent-client`);
      await idle.handshake();
      const since = Date.now();
      const k = await idle.waitFor((e) => e.type === Package.TYPE_KICK, 'the idle kick', 5000);
      assert.strictEqual(k.json.reason, 'heartbeat timeout');
      await idle.waitClosed('the idle close', 5000);
      const took = Date.now() - since;
      assert.ok(took >= 2 * HEARTBEAT_MS - 50 && took < 2 * HEARTBEAT_MS + 1000, `closed after ${took} ms`);
      if (transport === 'ws') {
        assert.strictEqual(idle.closeCode, 1001);
        assert.strictEqual(idle.closeReason, 'heartbeat timeout');
      }
    }
    console.log('ok a silent client is kicked after 2 x heartbeat (tcp; ws with close frame 1001)');

    for (const c of idlers) c.sock.destroy ? c.sock.destroy() : c.sock.terminate();

    // The server shuts down: both get a Kick with the reason, then the close.
    server.child.kill('SIGTERM');
    for (const c of [a, b]) {
      const k = await c.waitFor((e) => e.type === Package.TYPE_KICK, 'the shutdown kick');
      assert.strictEqual(k.json.reason, 'server shutting down');
      await c.waitClosed('the close after the kick');
    }
    clearInterval(keep);
    console.log('ok kick on shutdown (tcp, ws)');
    const code = await withDeadline(new Promise((resolve) => {
      if (server.child.exitCode !== null) resolve(server.child.exitCode);
      else server.child.on('exit', resolve);
    }), 10000, 'the server exit');
    assert.strictEqual(code, 0, 'graceful exit');
    console.log('ok graceful server exit');
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
