#!/usr/bin/env node
// hearth-cli connect against a scripted fake gate (a Node TCP server writing the bytes of
// client-protocol.md by hand), for what Hearth's own gate never sends: zlib payloads (Z flag),
// an error response that is also compressed, a server that sends no heartbeats, a refused
// handshake, a protocol error. Also checks what the cli sends: its handshake (sys, --user),
// the ack, request routes compressed with the server's dictionary, heartbeats on its own timer.
//
//   node cli_protocol.js PATH/TO/hearth-cli
//
// Exit 0 pass, 1 fail.
'use strict';

const assert = require('assert');
const net = require('net');
const zlib = require('zlib');
const { CliClient, withDeadline } = require('./cli_driver');

const cli = process.argv[2];
if (!cli) {
  console.error('usage: node cli_protocol.js PATH/TO/hearth-cli');
  process.exit(1);
}

function packet(type, body = Buffer.alloc(0)) {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from([type, (b.length >> 16) & 0xff, (b.length >> 8) & 0xff, b.length & 0xff]), b]);
}
const json = (v) => Buffer.from(JSON.stringify(v));

// A fake gate accepting one connection; `onPacket(p, conn)` sees every packet the cli sends.
function fakeGate(onPacket) {
  return new Promise((resolve) => {
    const server = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4) {
          const len = (buf[1] << 16) | (buf[2] << 8) | buf[3];
          if (buf.length < 4 + len) break;
          onPacket({ type: buf[0], body: buf.subarray(4, 4 + len) }, sock);
          buf = buf.subarray(4 + len);
        }
      });
      sock.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `tcp://127.0.0.1:${server.address().port}` }));
  });
}

async function main() {
  let failed = false;
  const servers = [];
  const clients = [];
  try {
    // 1. Dictionary, zlib, heartbeats.
    const seen = { heartbeats: 0, requests: [] };
    let heartbeatWaiter = null;
    const a = await fakeGate((p, sock) => {
      if (p.type === 1) {
        seen.handshake = JSON.parse(p.body.toString());
        sock.write(packet(1, json({ code: 200, sys: { heartbeat: 0.2, servertime: 1, dict: { 'room.join': 1, onZ: 7 } } })));
      } else if (p.type === 2) {
        seen.acked = true;
        // A push on dictionary code 7 with a zlib payload: flag = push(3) << 1 | C | Z.
        const body = zlib.deflateSync(json({ big: 'x'.repeat(1000) }));
        sock.write(packet(4, Buffer.concat([Buffer.from([(3 << 1) | 0x01 | 0x10, 0, 7]), body])));
      } else if (p.type === 3) {
        seen.heartbeats++;
        if (heartbeatWaiter) heartbeatWaiter();
      } else if (p.type === 4) {
        const flag = p.body[0];
        const id = p.body[1]; // ids < 128 are one varint byte
        seen.requests.push({ flag, id, rest: p.body.subarray(2) });
        // An error response, compressed: flag = response(2) << 1 | Z | E.
        const payload = zlib.deflateSync(json({ code: 'bad_request', message: 'no' }));
        sock.write(packet(4, Buffer.concat([Buffer.from([(2 << 1) | 0x10 | 0x20, id]), payload])));
      }
    });
    servers.push(a.server);
    const c = new CliClient(cli, [a.url, '--user', '{"uid":42}'], 'dict-zlib');
    clients.push(c);
    const hello = await c.waitFor((e) => e.type === 'connected', 'the handshake');
    assert.strictEqual(hello.heartbeat, 0.2);
    assert.deepStrictEqual(hello.dict, { 'room.join': 1, onZ: 7 });
    assert.match(seen.handshake.sys.version, /^\d+\.\d+\.\d+$/);
    assert.deepStrictEqual(seen.handshake, { sys: { type: 'hearth-cli', version: seen.handshake.sys.version }, user: { uid: 42 } });
    const push = await c.push('onZ');
    assert.strictEqual(push.body.big, 'x'.repeat(1000));
    assert.ok(seen.acked);
    console.log('ok handshake with --user, ack, a compressed route and a zlib payload decoded');

    c.send('request room.join {"name":"z"}');
    const r = await c.response('room.join');
    assert.strictEqual(r.ok, false);
    assert.deepStrictEqual(r.body, { code: 'bad_request', message: 'no' });
    assert.strictEqual(seen.requests[0].flag, 0x01, 'request with a compressed route');
    assert.deepStrictEqual([...seen.requests[0].rest.subarray(0, 2)], [0, 1], 'route code 1');
    c.send('request other.route {}');
    await c.response('other.route');
    assert.strictEqual(seen.requests[1].flag, 0x00, 'a route outside the dictionary goes as a string');
    console.log('ok request routes compressed with the dictionary; a zlib error response');

    // The fake gate sends no heartbeats: the cli sends its own every interval (0.2 s), and
    // then (nothing heard for 3 intervals) gives up with status 1.
    await withDeadline(new Promise((resolve) => {
      heartbeatWaiter = () => { if (seen.heartbeats >= 2) resolve(); };
      heartbeatWaiter();
    }), 3000, 'two heartbeats from the cli');
    assert.strictEqual(await c.exit(5000), 1);
    assert.match(c.stderr, /the server sent nothing for 0.6 s/);
    console.log('ok heartbeats on the cli\'s own timer; a silent server ends the session (status 1)');

    // 2. A refused handshake.
    const b = await fakeGate((p, sock) => {
      if (p.type === 1) sock.end(packet(1, json({ code: 500, message: 'maintenance' })));
    });
    servers.push(b.server);
    const refused = new CliClient(cli, [b.url], 'refused');
    clients.push(refused);
    assert.strictEqual(await refused.exit(), 1);
    assert.match(refused.stderr, /refused the handshake \(code 500\): maintenance/);

    // 3. A protocol error (unknown packet type) after the handshake.
    const d = await fakeGate((p, sock) => {
      if (p.type === 1) sock.write(packet(1, json({ code: 200, sys: { heartbeat: 30 } })));
      if (p.type === 2) sock.write(packet(9, 'junk'));
    });
    servers.push(d.server);
    const broken = new CliClient(cli, [d.url], 'broken');
    clients.push(broken);
    assert.strictEqual(await broken.exit(), 1);
    assert.match(broken.stderr, /protocol error/);

    // 4. No handshake reply within --timeout.
    const e = await fakeGate(() => {});
    servers.push(e.server);
    const mute = new CliClient(cli, [e.url, '--timeout', '0.3'], 'mute');
    clients.push(mute);
    assert.strictEqual(await mute.exit(), 1);
    assert.match(mute.stderr, /no handshake reply within 0.3 s/);
    console.log('ok refused handshake, protocol error, no handshake reply (status 1)');
  } catch (err) {
    failed = true;
    console.error('FAIL:', err && err.stack ? err.stack : err);
    for (const c of clients) if (c.stderr) console.error(`${c.name} stderr: ${c.stderr}`);
  } finally {
    for (const c of clients) c.kill();
    for (const s of servers) s.close();
  }
  process.exit(failed ? 1 : 0);
}

main();
