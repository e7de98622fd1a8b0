#!/usr/bin/env node
// Session resume (docs/resume.md) with the clients users run: hearth-client.js (clients/js) over
// the `ws` package with pomelo-protocol's codecs, through a TCP proxy that resets every
// connection while a pomelo-protocol client floods the room at 1,000 messages a second; the
// chat page in headless Chromium losing its WebSocket the same way and resuming with no gap;
// and hearth-cli printing a token and resuming with --resume / --received.
//
//   node resume.js PATH/TO/hearth_example_chat PATH/TO/hearth-cli
//
// Exit 0 pass, 1 fail, 77 skipped (npm packages missing).
'use strict';

const assert = require('assert');
const net = require('net');
const path = require('path');

try {
  require.resolve('pomelo-protocol');
  require.resolve('ws');
} catch (e) {
  console.log('SKIP: npm packages missing; run tests/node/setup.sh');
  process.exit(77);
}
const WebSocket = require('ws');
const { Protocol, Client, startServer, withDeadline } = require('./harness');
const { findChromium, launchChromium, closeChromium, DevTools, openPage } = require('./browser');
const HearthClient = require(path.join(__dirname, '..', '..', 'clients', 'js', 'hearth-client.js'));

const [program, cli] = process.argv.slice(2);
if (!program) {
  console.error('usage: node resume.js PATH/TO/hearth_example_chat [PATH/TO/hearth-cli]');
  process.exit(1);
}

// A TCP proxy to `port` that can reset every connection it carries (both sides see an RST).
function proxy(port) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    resetAll() { for (const s of sockets) s.resetAndDestroy(); },
    close() { server.close(); this.resetAll(); },
  })));
}

function until(pred, ms, what) {
  return withDeadline(new Promise((resolve) => {
    const check = () => (pred() ? resolve() : setTimeout(check, 5));
    check();
  }), ms, what);
}

// A pomelo-protocol client that answers heartbeats and floods the room.
async function flooder(addr, name) {
  const c = new Client('tcp', addr, name);
  await c.handshake();
  c.keep = setInterval(() => { if (!c.closed) c.heartbeatBack(); }, 200);
  const r = await c.request('room.join', { name }, false);
  assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
  return c;
}

async function nodeClient(addr, wsPort) {
  const p = await proxy(wsPort);
  const states = [];
  const ann = new HearthClient({
    url: `ws://127.0.0.1:${p.port}/ws`, WebSocket, protocol: Protocol, backoff: { initial: 50, max: 500 },
  });
  ann.onstate = (s) => states.push(s);
  const got = [];
  ann.on('onMessage', (m) => { if (m.name === 'bob') got.push(m.content); });
  const left = [];
  const hs = await ann.connect({ name: 'ann' });
  assert.strictEqual(hs.sys.resume.resumed, false);
  assert.ok(typeof hs.sys.resume.token === 'string' && hs.sys.resume.token.length > 32);
  const joined = await ann.request('room.join', { name: 'ann' });
  assert.deepStrictEqual(joined, { code: 0, result: 'success' });

  const bob = await flooder(addr, 'bob');
  bob.events.length = 0;
  const watch = setInterval(() => {  // bob must never see ann leave
    for (const e of bob.events.splice(0)) if (e.route === 'onLeave') left.push(e.json.name);
  }, 20);
  const total = 2000;
  let sent = 0;
  const flood = setInterval(() => {  // 1,000 a second
    if (sent >= total) return;
    bob.notify('room.message', { name: 'bob', content: String(sent++) }, false);
  }, 1);
  await until(() => got.length >= 300, 10000, 'ann receiving the flood');
  p.resetAll();
  await until(() => states.includes('reconnecting'), 5000, 'ann noticing the reset');
  await until(() => states.includes('resumed'), 10000, 'ann resuming');
  await until(() => got.length >= total, 20000, `all ${total} messages at ann (has ${got.length})`);
  clearInterval(flood);
  await new Promise((r) => setTimeout(r, 100));  // a duplicate would arrive right behind
  clearInterval(watch);
  for (const e of bob.events.splice(0)) if (e.route === 'onLeave') left.push(e.json.name);
  assert.strictEqual(got.length, total, 'no message twice');
  for (let i = 0; i < total; i++) assert.strictEqual(got[i], String(i), `message ${i} in order`);
  assert.deepStrictEqual(left, [], 'the room never saw ann leave');
  assert.ok(!states.includes('new-session'));
  // The session goes on: a request works, and a logout ends it at once.
  assert.deepStrictEqual(await ann.request('room.join', { name: 'ann' }), { code: 0, result: 'success' });
  ann.logout();
  const gone = await bob.push('onLeave', (m) => m.name === 'ann');
  assert.strictEqual(gone.json.name, 'ann');
  console.log(`ok hearth-client.js over ws resumed after a reset under a 1,000/s flood: ${total} messages once, in order`);
  clearInterval(bob.keep);
  bob.sock.destroy();
  p.close();
}

async function browser(addr, wsPort) {
  const chromium = findChromium();
  if (!chromium) {
    console.log('skip the Chromium case: chromium not found');
    return;
  }
  // The page and its WebSocket both go through the proxy (the page connects to its own host).
  const p = await proxy(wsPort);
  const b = launchChromium(chromium);
  try {
    const devtools = new DevTools(await b.endpoint);
    await devtools.open;
    const { evaluate, until: pageUntil } = await openPage(devtools, `http://127.0.0.1:${p.port}/?name=carol`);
    await pageUntil(`document.body.dataset.state === 'joined'`, 15000);
    const dan = await flooder(addr, 'dan');
    const total = 1000;
    let sent = 0;
    const flood = setInterval(() => {
      if (sent >= total) return;
      dan.notify('room.message', { name: 'dan', content: `m${sent++}` }, false);
    }, 1);
    const status = () => evaluate(`JSON.stringify({ state: document.body.dataset.state, text: document.getElementById("status").textContent, resumes: chat.resumes,
      rejoins: chat.rejoins, client: chat.client.state, received: chat.client.received,
      dan: chat.received.filter((m) => m.name === 'dan').length })`);
    try {
      await pageUntil(`chat.received.filter((m) => m.name === 'dan').length >= 200`, 10000);
      p.resetAll();
      await pageUntil(`chat.resumes === 1 && document.body.dataset.state === 'joined'`, 15000);
      await pageUntil(`chat.received.filter((m) => m.name === 'dan').length >= ${total}`, 15000);
    } catch (e) {
      throw new Error(`${e.message}; the page: ${await status()}; dan sent ${sent}`);
    }
    clearInterval(flood);
    const seen = JSON.parse(await evaluate(
      `JSON.stringify(chat.received.filter((m) => m.name === 'dan').map((m) => m.content))`));
    assert.strictEqual(seen.length, total);
    for (let i = 0; i < total; i++) assert.strictEqual(seen[i], `m${i}`);
    assert.strictEqual(await evaluate('chat.rejoins'), 0);
    console.log('ok the chat page in Chromium lost its WebSocket, resumed, and shows every message once, in order');
    clearInterval(dan.keep);
    dan.sock.destroy();
  } finally {
    closeChromium(b);
    p.close();
  }
}

async function hearthCli(addr) {
  if (!cli) return;
  const { CliClient } = require('../tools/cli_driver');
  const url = `tcp://${addr.host}:${addr.port}`;
  const first = new CliClient(cli, [url], 'cli-1');
  const granted = await first.waitFor((e) => e.type === 'resume', 'the resume event');
  assert.strictEqual(granted.resumed, false);
  first.send('request room.join {"name":"eve"}');
  await first.waitFor((e) => e.type === 'response', 'the join response');
  first.child.kill('SIGKILL');  // the connection drops: the session parks
  const second = new CliClient(cli, [url, '--resume', granted.token, '--received', '0'], 'cli-2');
  const again = await second.waitFor((e) => e.type === 'resume', 'the resume event');
  assert.strictEqual(again.resumed, true);
  assert.notStrictEqual(again.token, granted.token);
  second.send('quit');
  console.log('ok hearth-cli printed its token and resumed with --resume and --received');
}

async function main() {
  // A heartbeat of 2 s: the page renders a replay of hundreds of messages at once, which may
  // hold its timers up for longer than the harness's 400 ms allows.
  const server = startServer(program, { heartbeat_ms: 2000, resume: { enabled: true, grace_ms: 10000 } });
  let failed = false;
  try {
    const addr = await server.addresses;
    const wsPort = Number(new URL(addr.ws).port);
    await nodeClient(addr, wsPort);
    await browser(addr, wsPort);
    await hearthCli(addr);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
  } finally {
    server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
