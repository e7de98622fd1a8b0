#!/usr/bin/env node
// The gate's TLS ports (tls_port: Pomelo over TLS over TCP; wss_port: WebSocket over TLS)
// driven by clients nobody here wrote: Node's TLS (OpenSSL), the `ws` package and
// pomelo-protocol's codecs. The certificates come from hearth_test_certs at test time.
//
//   node tls.js PATH/TO/hearth_example_chat PATH/TO/hearth_test_certs
//
// Covers: handshake, request/response and pushes across tcp, tls and wss clients in one room
// (with a message spanning several TLS records); heartbeats kept alive over several periods and
// the idle kick over TLS; an admin kick that reaches the client as a Kick packet, then TLS
// close_notify, then FIN (TLS 1.2 and 1.3); TLS 1.0 and 1.1 refused by the server (its
// protocol_version counter); required client certificates (no certificate and another CA's
// certificate refused); certificate reload (POST /tls/reload and SIGHUP) under live sessions,
// and a failed reload keeping the previous certificate; silent, garbage and upgrade-less
// connections closed at handshake_timeout_ms while others are served; startup refused for an
// expired certificate, a missing key and a key of another certificate.
// Exit 0 pass, 1 fail, 77 skipped.
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
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn, execFileSync } = require('child_process');
const { Package, Client, startServer, withDeadline, HEARTBEAT_MS, dict } = require('./harness');

const [program, certTool] = process.argv.slice(2);
if (!program || !certTool) {
  console.error('usage: node tls.js PATH/TO/hearth_example_chat PATH/TO/hearth_test_certs');
  process.exit(1);
}

// Long enough for a loaded machine's real clients, short enough to wait for in a test.
const HANDSHAKE_TIMEOUT_MS = 1500;
const TOKEN = 'secret';
const ADMIN = { admin: { address: '127.0.0.1', port: 0, token: TOKEN } };

const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-certs-'));
execFileSync(certTool, [certs], { stdio: ['ignore', 'inherit', 'inherit'] });
const file = (name) => path.join(certs, name);
const pem = (name) => fs.readFileSync(file(name));
const fingerprint = (name) => new crypto.X509Certificate(pem(name)).fingerprint256;
const ca = pem('ca.pem');

// --- Small tools -------------------------------------------------------------------------------

// One HTTP request to the admin endpoint with the token; resolves { status, text, json }.
function admin(base, method, route, body) {
  const url = new URL(route, base);
  const payload = body === undefined ? null : JSON.stringify(body);
  return withDeadline(new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${TOKEN}` };
    if (payload !== null) {
      Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    }
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch (e) { /* Prometheus text */ }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload === null ? undefined : payload);
  }), 5000, `${method} ${route}`);
}

// The value of one sample of GET /metrics whose labels include `labels` (0 when absent).
async function metric(base, name, labels) {
  const r = await admin(base, 'GET', '/metrics');
  assert.strictEqual(r.status, 200);
  for (const line of r.text.split('\n')) {
    const m = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = {};
    for (const kv of (m[2] || '').matchAll(/(\w+)="([^"]*)"/g)) have[kv[1]] = kv[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}
const tlsErrors = (base, reason) => metric(base, 'hearth_gate_tls_errors_total', { gate: 'gate', reason });

// Resolves once `check()` (async) returns a truthy value, polling every 20 ms up to `ms`.
async function eventually(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Counters only grow: wait until this one is at least `target`.
const counterReaches = (base, reason, target) => eventually(async () => (await tlsErrors(base, reason)) >= target,
  5000, `hearth_gate_tls_errors_total{reason="${reason}"} >= ${target}`);

// A TLS connection that only handshakes: resolves with the TLSSocket once secure, rejects with
// the handshake error.
function tlsHandshake(port, options = {}) {
  return withDeadline(new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...options });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed during the TLS handshake')));
  }), 5000, 'a TLS handshake');
}

// Resolves with how long (ms, from `since`) until `sock` closes (a reset counts as a close).
function closedAfter(sock, since, ms, what) {
  return withDeadline(new Promise((resolve) => {
    sock.on('error', () => {});
    if (sock.closed) resolve(Date.now() - since);
    else sock.once('close', () => resolve(Date.now() - since));
  }), ms, what);
}

// A TCP relay in front of a gate port that records the TLS records the server sends (content
// type and length) and how its side ended: FIN ('fin') or an error such as a reset. Node's API
// does not show the close_notify alert (a bare FIN also reads as 'end'); the records do (isAlert).
function recordingRelay(targetPort) {
  const relay = { records: [], ended: null };
  relay.server = net.createServer({ allowHalfOpen: true }, (down) => {
    const up = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    let buf = Buffer.alloc(0);
    up.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        relay.records.push({ type: buf[0], length: buf.readUInt16BE(3) });
        buf = buf.subarray(5 + buf.readUInt16BE(3));
      }
      down.write(d);
    });
    up.on('end', () => { relay.ended = relay.ended || 'fin'; down.end(); });
    up.on('error', (e) => { relay.ended = relay.ended || `error ${e.code}`; down.destroy(); });
    down.on('data', (d) => up.write(d));
    down.on('end', () => up.end());
    down.on('error', () => up.destroy());
  });
  relay.listening = new Promise((resolve) => relay.server.listen(0, '127.0.0.1', () => {
    relay.port = relay.server.address().port;
    resolve();
  }));
  return relay;
}

// The session id the gate gave the client connected by `connect()` (which must handshake):
// the one that appears in GET /sessions.
async function newSessionId(base, connect) {
  const ids = async () => new Set((await admin(base, 'GET', '/sessions?limit=1000')).json.items.map((i) => i.id));
  const before = await ids();
  const client = await connect();
  const id = await eventually(async () => [...await ids()].find((i) => !before.has(i)), 5000, 'the new session');
  return { client, id };
}

// Sends a Heartbeat from each client every half period, like real clients (stop with the result).
function keepAlive(clients) {
  const timer = setInterval(() => { for (const c of clients) if (!c.closed) c.heartbeatBack(); }, HEARTBEAT_MS / 2);
  return () => clearInterval(timer);
}

function closeAll(clients) {
  for (const c of clients) {
    if (c.sock.terminate) c.sock.terminate();
    else c.sock.destroy();
  }
}

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Error) e.message = `[${name}] ${e.message}`;
    throw e;
  }
  console.log(`ok ${name}`);
}

// --- The checks --------------------------------------------------------------------------------

// The main server: tls and wss ports with server.pem, from copies the reload step overwrites.
function mainServer() {
  const live = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-live-certs-'));
  fs.copyFileSync(file('server.pem'), path.join(live, 'server.pem'));
  fs.copyFileSync(file('server.key'), path.join(live, 'server.key'));
  const server = startServer(program, {
    tls_port: 0,
    wss_port: 0,
    handshake_timeout_ms: HANDSHAKE_TIMEOUT_MS,
    tls: { certificate_chain_file: path.join(live, 'server.pem'), private_key_file: path.join(live, 'server.key') },
  }, ADMIN);
  server.live = live;
  return server;
}

async function chatOverTls(addr) {
  const clients = [];
  const a = new Client('tcp', addr, 'tcp-client');
  const t = new Client('tls', addr, 'tls-client', { ca });
  const w = new Client('wss', addr, 'wss-client', { ca });
  clients.push(a, t, w);
  const stop = keepAlive(clients);
  try {
    await step('handshake over tls and wss (certificate verified for localhost, TLS 1.3)', async () => {
      await a.handshake();
      for (const c of [t, w]) {
        const hs = await c.handshake();
        assert.strictEqual(hs.sys.heartbeat, HEARTBEAT_MS / 1000);
        assert.deepStrictEqual(hs.sys.dict, dict);
      }
      assert.strictEqual(t.sock.authorized, true, String(t.sock.authorizationError));
      assert.strictEqual(t.sock.getProtocol(), 'TLSv1.3');
      assert.strictEqual(t.sock.getPeerCertificate().fingerprint256, fingerprint('server.pem'));
      assert.strictEqual(w.sock._socket.authorized, true);
      assert.strictEqual(w.sock._socket.getPeerCertificate().fingerprint256, fingerprint('server.pem'));
    });

    await step('request/response and pushes across tcp, tls and wss in one room', async () => {
      let r = await t.request('room.join', { name: 'tina' }, false);
      assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      assert.deepStrictEqual((await t.push('onMembers')).json.members, ['tina']);
      r = await a.request('room.join', { name: 'alice' }, true);
      assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      assert.strictEqual((await t.push('onNewUser')).json.content, 'New user: alice');
      r = await w.request('room.join', { name: 'will' }, true);
      assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      await w.push('onMembers', (m) => m.members.length === 3);
      for (const c of [a, t]) await c.push('onNewUser', (m) => m.content === 'New user: will');
      t.notify('room.message', { name: 'tina', content: 'hello from tls' }, true);
      w.notify('room.message', { name: 'will', content: 'hello from wss' }, false);
      a.notify('room.message', { name: 'alice', content: 'hello from tcp' }, false);
      for (const c of [a, t, w]) {
        for (const text of ['hello from tls', 'hello from wss', 'hello from tcp']) {
          await c.push('onMessage', (m) => m.content === text);
        }
      }
      r = await t.request('nosuch.method', {}, false);
      assert.strictEqual(r.error, true);
      assert.strictEqual(r.json.code, 'not_found');
    });

    await step('a 60 KB message over tls and wss arrives whole (several TLS records)', async () => {
      const big = 'x'.repeat(60000); // under max_packet_body (64 KiB) with its JSON around it
      t.notify('room.message', { name: 'tina', content: big }, false);
      w.notify('room.message', { name: 'will', content: `${big}!` }, false);
      for (const c of [a, t, w]) {
        await c.push('onMessage', (m) => m.content === big);
        await c.push('onMessage', (m) => m.content === `${big}!`);
      }
    });
  } finally {
    stop();
  }
  return clients;
}

async function heartbeats(addr) {
  await step('heartbeats over tls and wss keep idle sessions for 6 periods; a silent one is kicked', async () => {
    const idlers = [];
    for (const transport of ['tls', 'wss']) {
      const answerer = new Client(transport, addr, `${transport}-answers-heartbeats`, { ca });
      answerer.answerHeartbeats(HEARTBEAT_MS);
      idlers.push(answerer, new Client(transport, addr, `${transport}-own-timer`, { ca }));
    }
    const silent = new Client('tls', addr, 'tls-silent', { ca });
    const silentSince = silent.handshake().then(() => Date.now());
    await Promise.all(idlers.map((c) => c.handshake()));
    const since = Date.now();
    for (const c of idlers) if (c.name.endsWith('own-timer')) c.heartbeatOnOwnTimer(HEARTBEAT_MS);
    // The silent client is kicked after 2 periods, with a Kick then the close.
    const k = await silent.waitFor((e) => e.type === Package.TYPE_KICK, 'the idle kick', 5000);
    assert.strictEqual(k.json.reason, 'heartbeat timeout');
    await silent.waitClosed('the close after the idle kick');
    const took = Date.now() - await silentSince;
    assert.ok(took >= 2 * HEARTBEAT_MS - 50 && took < 2 * HEARTBEAT_MS + 1000, `kicked after ${took} ms`);
    assert.strictEqual(silent.error, undefined, `the kicked client saw ${silent.error}`);
    // The others take server heartbeats (one a period at least) for six periods, and stay
    // connected and served.
    await Promise.all(idlers.map(async (c) => {
      while (Date.now() < since + 6 * HEARTBEAT_MS) {
        await c.waitFor((e) => e.type === Package.TYPE_HEARTBEAT, 'a server heartbeat', 2 * HEARTBEAT_MS);
      }
    }));
    for (const c of idlers) {
      assert.ok(!c.closed, `${c.name} closed`);
      const r = await c.request('room.join', { name: c.name }, false);
      assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      assert.ok(c.sentHeartbeats >= 4, `${c.name} sent ${c.sentHeartbeats} heartbeats`);
      c.stopHeartbeats();
    }
    closeAll(idlers);
  });
}

// In TLS 1.2 an alert record has content type 21. TLS 1.3 hides the type inside application
// data (23), but a 2-byte alert plus its inner type byte and the 16-byte AEAD tag make a 19-byte
// record, shorter than any Pomelo packet (a 4-byte header at least) or close frame with a code.
function isAlert(record, version) {
  return version === 'TLSv1.2' ? record.type === 21 : record.type === 23 && record.length === 19;
}

async function kicks(addr) {
  for (const [transport, version] of [['tls', 'TLSv1.2'], ['tls', 'TLSv1.3'], ['wss', 'TLSv1.2'], ['wss', 'TLSv1.3']]) {
    const then = transport === 'tls' ? 'close_notify, then FIN'
      : 'a close frame 1000 with the reason, close_notify, FIN';
    await step(`admin kick over ${transport} (${version}): Kick packet, then ${then}`, async () => {
      const relay = recordingRelay(transport === 'tls' ? addr.tls.port : Number(new URL(addr.wss).port));
      await relay.listening;
      const via = { tls: { host: '127.0.0.1', port: relay.port }, wss: `wss://127.0.0.1:${relay.port}/ws` };
      const { client, id } = await newSessionId(addr.admin, async () => {
        const c = new Client(transport, via, `${transport}-kicked`, { ca, minVersion: version, maxVersion: version });
        await c.handshake();
        c.heartbeatOnOwnTimer(HEARTBEAT_MS / 2);
        return c;
      });
      const sock = transport === 'tls' ? client.sock : client.sock._socket;
      assert.strictEqual(sock.getProtocol(), version);
      const reason = `kicked over ${transport} ${version}`;
      const r = await admin(addr.admin, 'POST', `/sessions/${id}/kick`, { reason });
      assert.strictEqual(r.status, 200, r.text);
      const k = await client.waitFor((e) => e.type === Package.TYPE_KICK, 'the kick');
      assert.strictEqual(k.json.reason, reason);
      await client.waitClosed('the close after the kick');
      assert.ok(client.events.every((e) => e.seq < k.seq), 'packets after the Kick');
      assert.strictEqual(client.error, undefined, `the kicked client saw ${client.error}`);
      if (transport === 'wss') {
        assert.strictEqual(client.closeCode, 1000);
        assert.strictEqual(client.closeReason, reason);
      }
      await eventually(() => relay.ended, 5000, 'the end of the server side');
      assert.strictEqual(relay.ended, 'fin');
      const last = relay.records[relay.records.length - 1];
      assert.ok(isAlert(last, version), `the last record is ${JSON.stringify(last)}, not an alert (close_notify)`);
      if (version === 'TLSv1.2') {
        assert.ok(relay.records.slice(0, -1).every((rec) => rec.type !== 21), 'an alert before the end');
      }
      relay.server.close();
    });
  }
}

async function oldVersions(addr) {
  await step('TLS 1.0 and 1.1 refused by the server on both ports (protocol_version counted)', async () => {
    const wssPort = Number(new URL(addr.wss).port);
    for (const port of [addr.tls.port, wssPort]) {
      for (const version of ['TLSv1', 'TLSv1.1']) {
        const before = await tlsErrors(addr.admin, 'protocol_version');
        // OpenSSL 3 offers TLS 1.0/1.1 only at security level 0.
        const offer = { minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' };
        const err = await tlsHandshake(port, offer).then((s) => { s.destroy(); return null; }, (e) => e);
        assert.ok(err, `${version} accepted on port ${port}`);
        // The server's protocol_version alert (not the client giving up before offering).
        assert.strictEqual(err.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', err.message);
        await counterReaches(addr.admin, 'protocol_version', before + 1);
      }
    }
    // TLS 1.2 with the default client settings still works (the floor is 1.2).
    const s = await tlsHandshake(addr.tls.port, { maxVersion: 'TLSv1.2' });
    assert.strictEqual(s.getProtocol(), 'TLSv1.2');
    s.destroy();
  });
}

async function stalled(addr) {
  await step('silent, garbage and upgrade-less connections are closed at handshake_timeout_ms ' +
    `(${HANDSHAKE_TIMEOUT_MS}) while a tls client is served`, async () => {
    const wssPort = Number(new URL(addr.wss).port);
    const steady = new Client('tls', addr, 'tls-steady', { ca });
    await steady.handshake();
    const stop = keepAlive([steady]);
    const timeouts = await tlsErrors(addr.admin, 'timeout');
    const notTls = await tlsErrors(addr.admin, 'not_tls');
    const since = Date.now();
    const limit = HANDSHAKE_TIMEOUT_MS + 2000;
    const silentTls = net.connect(addr.tls.port, '127.0.0.1');
    const silentTlsClosed = closedAfter(silentTls, since, limit, 'the close of the silent tls connection');
    const garbage = net.connect(addr.tls.port, '127.0.0.1', () => garbage.write(Buffer.alloc(200, 'G')));
    const garbageClosed = closedAfter(garbage, since, limit, 'the close of the garbage connection');
    const silentWss = net.connect(wssPort, '127.0.0.1');
    const silentWssClosed = closedAfter(silentWss, since, limit, 'the close of the silent wss connection');
    const noUpgrade = await tlsHandshake(wssPort);
    const closes = Promise.all([silentTlsClosed, garbageClosed, silentWssClosed,
      closedAfter(noUpgrade, since, limit, 'the close of the TLS connection without an upgrade')]);
    // Meanwhile the steady client is served, request after request.
    let done = false;
    let served = 0;
    const serving = (async () => {
      while (!done) {
        const r = await steady.request('room.join', { name: 'steady' }, false);
        assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
        ++served;
      }
    })().then(() => null, (e) => e);
    const [silentMs, garbageMs, silentWssMs, noUpgradeMs] = await closes.finally(() => { done = true; });
    const servingError = await serving;
    stop();
    if (servingError) throw servingError;
    for (const [what, ms] of [['silent tls', silentMs], ['silent wss', silentWssMs], ['no upgrade', noUpgradeMs]]) {
      assert.ok(ms >= HANDSHAKE_TIMEOUT_MS - 100, `${what} closed after ${ms} ms, before the timeout`);
    }
    assert.ok(garbageMs <= limit, `garbage closed after ${garbageMs} ms`);
    assert.ok(!steady.closed, 'the steady client was closed');
    assert.ok(served >= 10, `only ${served} requests served meanwhile`);
    await counterReaches(addr.admin, 'timeout', timeouts + 2); // silent tls and silent wss
    await counterReaches(addr.admin, 'not_tls', notTls + 1);
    console.log(`   closed after: silent tls ${silentMs} ms, garbage ${garbageMs} ms, silent wss ${silentWssMs} ms, ` +
      `no upgrade ${noUpgradeMs} ms; ${served} requests served meanwhile`);
    closeAll([steady]);
  });
}

async function reload(server, addr, old) {
  const live = (name) => path.join(server.live, name);
  const wssPort = Number(new URL(addr.wss).port);
  const presented = async (port) => {
    const s = await tlsHandshake(port);
    const fp = s.getPeerCertificate().fingerprint256;
    s.destroy();
    return fp;
  };
  await step('POST /tls/reload swaps the certificate; the open tls session keeps working', async () => {
    assert.strictEqual(old.sock.getPeerCertificate().fingerprint256, fingerprint('server.pem'));
    const before = await admin(addr.admin, 'GET', '/metrics');
    assert.ok(/hearth_gate_tls_handshakes_total\{[^}]*gate="gate"[^}]*\} [1-9]/.test(before.text),
      'hearth_gate_tls_handshakes_total counts the handshakes');
    fs.copyFileSync(file('server2.pem'), live('server.pem'));
    fs.copyFileSync(file('server2.key'), live('server.key'));
    const r = await admin(addr.admin, 'POST', '/tls/reload');
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.json.gate, 'gate');
    assert.strictEqual(r.json.fingerprint_sha256, fingerprint('server2.pem'));
    assert.ok(/localhost/.test(r.json.subject), r.json.subject);
    assert.ok(r.json.not_after, 'not_after');
    assert.strictEqual(await presented(addr.tls.port), fingerprint('server2.pem'));
    assert.strictEqual(await presented(wssPort), fingerprint('server2.pem'));
    const fresh = new Client('tls', addr, 'tls-after-reload', { ca });
    await fresh.handshake();
    assert.strictEqual(fresh.sock.getPeerCertificate().fingerprint256, fingerprint('server2.pem'));
    const res = await old.request('room.join', { name: 'tina-again' }, false);
    assert.deepStrictEqual(res.json, { code: 0, result: 'success' });
    old.notify('room.message', { name: 'tina', content: 'still here' }, false);
    await old.push('onMessage', (m) => m.content === 'still here');
    closeAll([fresh]);
  });

  await step('a reload with a broken certificate file answers 422 naming it; the previous certificate stays',
    async () => {
      fs.writeFileSync(live('server.pem'), 'this is not a certificate\n');
      const r = await admin(addr.admin, 'POST', '/tls/reload');
      assert.strictEqual(r.status, 422, r.text);
      assert.ok(r.text.includes(live('server.pem')), `the error does not name the file: ${r.text}`);
      assert.strictEqual(await presented(addr.tls.port), fingerprint('server2.pem'));
      assert.strictEqual(await presented(wssPort), fingerprint('server2.pem'));
      const res = await old.request('room.join', { name: 'tina-3' }, false);
      assert.deepStrictEqual(res.json, { code: 0, result: 'success' });
    });

  await step('SIGHUP reloads the certificate files too', async () => {
    fs.copyFileSync(file('server.pem'), live('server.pem'));
    fs.copyFileSync(file('server.key'), live('server.key'));
    server.child.kill('SIGHUP');
    await eventually(async () => (await presented(addr.tls.port)) === fingerprint('server.pem'), 5000,
      'the original certificate after SIGHUP');
    assert.strictEqual(await presented(wssPort), fingerprint('server.pem'));
    assert.ok(server.child.exitCode === null, 'the server exited on SIGHUP');
    const res = await old.request('room.join', { name: 'tina-4' }, false);
    assert.deepStrictEqual(res.json, { code: 0, result: 'success' });
  });
}

async function clientCertificates() {
  const server = startServer(program, {
    tls_port: 0,
    wss_port: 0,
    tls: {
      certificate_chain_file: file('server.pem'),
      private_key_file: file('server.key'),
      client_ca_file: file('ca.pem'),
    },
  }, ADMIN);
  try {
    const addr = await server.addresses;
    await step('client certificates required: client.pem accepted over tls and wss', async () => {
      const withCert = { ca, cert: pem('client.pem'), key: pem('client.key') };
      const t = new Client('tls', addr, 'tls-with-certificate', withCert);
      const w = new Client('wss', addr, 'wss-with-certificate', withCert);
      for (const c of [t, w]) {
        await c.handshake();
        const r = await c.request('room.join', { name: c.name }, false);
        assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
      }
      closeAll([t, w]);
    });

    // In TLS 1.3 the client finishes its side before the server checks its certificate: the
    // refusal shows as an alert and a close before any Pomelo packet.
    const refused = async (client) => {
      const err = await withDeadline(client.handshake().then(() => null, (e) => e), 5000, `${client.name} refused`);
      assert.ok(err, `${client.name} was served`);
      assert.strictEqual(client.events.length, 0, `${client.name} received packets`);
      await client.waitClosed('the close');
      return client.error ? client.error.code || client.error.message : 'closed';
    };
    await step('no client certificate refused (tls, wss): no_certificate counted', async () => {
      const before = await tlsErrors(addr.admin, 'no_certificate');
      const t = await refused(new Client('tls', addr, 'tls-without-certificate', { ca }));
      const w = await refused(new Client('wss', addr, 'wss-without-certificate', { ca }));
      await counterReaches(addr.admin, 'no_certificate', before + 2);
      console.log(`   client errors: ${t}; ${w}`);
    });
    await step("another CA's client certificate refused (tls, wss): bad_certificate counted", async () => {
      const before = await tlsErrors(addr.admin, 'bad_certificate');
      const other = { ca, cert: pem('other_client.pem'), key: pem('other_client.key') };
      const t = await refused(new Client('tls', addr, 'tls-other-ca', other));
      const w = await refused(new Client('wss', addr, 'wss-other-ca', other));
      await counterReaches(addr.admin, 'bad_certificate', before + 2);
      console.log(`   client errors: ${t}; ${w}`);
    });
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
}

// Runs the program with a gate whose "tls" block is `tlsBlock`; resolves { code, stderr }.
function startupFailure(tlsBlock) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-node-'));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    node: { name: 'chat', threads: 1, log_level: 'warn' },
    gate: { host: '127.0.0.1', tcp_port: 0, ws_port: 0, tls_port: 0, wss_port: 0, dict, tls: tlsBlock },
  }));
  const child = spawn(program, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return withDeadline(new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  }), 10000, 'the program to exit').catch((e) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message} (stdout: ${stdout})`);
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

async function startupErrors() {
  const cases = [
    ['an expired certificate', { certificate_chain_file: file('expired.pem'), private_key_file: file('expired.key') },
      file('expired.pem')],
    ['a missing key file', { certificate_chain_file: file('server.pem'), private_key_file: file('missing.key') },
      file('missing.key')],
    ['the key of another certificate',
      { certificate_chain_file: file('server.pem'), private_key_file: file('server2.key') }, file('server2.key')],
  ];
  for (const [what, block, named] of cases) {
    await step(`startup refused with ${what}, naming the file`, async () => {
      const r = await startupFailure(block);
      assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code} (signal ${r.signal}); stderr: ${r.stderr}`);
      assert.ok(r.stderr.includes(named), `stderr does not name ${named}: ${r.stderr}`);
      assert.ok(!/^ready /m.test(r.stdout), 'the program said ready');
    });
  }
}

async function main() {
  let failed = false;
  const server = mainServer();
  try {
    const addr = await server.addresses;
    assert.ok(addr.tls && addr.wss && addr.https && addr.admin, `addresses printed: ${JSON.stringify(addr)}`);
    const clients = await chatOverTls(addr);
    const stop = keepAlive(clients);
    await heartbeats(addr);
    await kicks(addr);
    await oldVersions(addr);
    await stalled(addr);
    await reload(server, addr, clients[1]);
    stop();
    closeAll(clients);
    await clientCertificates();
    await startupErrors();
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    for (const dir of [certs, server.live, server.dir]) fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
