#!/usr/bin/env node
// The browser client game developers ship, pomelo-jsclient-websocket 0.1.1 (on pomelo-protocol
// 0.1.6), in headless Chromium against the chat example: it connects to ws://HOST:PORT (path
// "/"), stays idle for more than 6 x heartbeat after the handshake and again after a join, and
// its requests still succeed. That library never sends a heartbeat of its own: it answers each
// server Heartbeat `heartbeat` seconds later (client-protocol.md section 2.5).
//
//   node chromium_pomelo.js PATH/TO/hearth_example_chat
//
// The library is a browser script of the component.io era: it reads window.Protocol and
// window.EventEmitter and ends with `module.exports = pomelo`. The gate serves it, as a game's
// web server would: a page with a CommonJS shim and an EventEmitter (what the component build
// provided), pomelo-protocol's protocol.js and pomelo-client.js copied from node_modules.
// Exit 0 pass, 1 fail, 77 skipped (no chromium or npm packages).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');

let libraries;
try {
  require.resolve('ws');
  libraries = {
    protocol: require.resolve('pomelo-protocol/lib/protocol.js'),
    client: require.resolve('pomelo-jsclient-websocket/lib/pomelo-client.js'),
  };
} catch (e) {
  console.log('SKIP: npm packages missing; run tests/node/setup.sh');
  process.exit(77);
}
const { findChromium, launchChromium, closeChromium, DevTools, openPage } = require('./browser');
const chromium = findChromium();
if (!chromium) {
  console.log('SKIP: chromium not found');
  process.exit(77);
}
const { startServer } = require('./harness');

const program = process.argv[2];
if (!program) {
  console.error('usage: node chromium_pomelo.js PATH/TO/hearth_example_chat');
  process.exit(1);
}

const HEARTBEAT_MS = 1000;
const IDLE_MS = 6.5 * HEARTBEAT_MS;

// The page: shims, the two libraries, and a trace of every packet both ways (type, time).
function writeSite(dir) {
  fs.mkdirSync(path.join(dir, 'js'));
  fs.copyFileSync(libraries.protocol, path.join(dir, 'js', 'protocol.js'));
  fs.copyFileSync(libraries.client, path.join(dir, 'js', 'pomelo-client.js'));
  fs.writeFileSync(path.join(dir, 'js', 'shim.js'), `
// CommonJS leftovers of both libraries write module.exports; the component build provided these.
var module = { exports: {} };
function EventEmitter() {}
EventEmitter.prototype.on = function (name, fn) {
  (this._events = this._events || {})[name] = (this._events[name] || []).concat([fn]);
  return this;
};
EventEmitter.prototype.emit = function (name) {
  var args = Array.prototype.slice.call(arguments, 1);
  ((this._events || {})[name] || []).slice().forEach(function (fn) { fn.apply(null, args); });
  return this;
};
window.EventEmitter = EventEmitter;
// Every packet in and out, as [ms since load, 'in'|'out', packet type]; closes with their code.
window.trace = [];
window.closes = [];
var t0 = Date.now();
var NativeWebSocket = window.WebSocket;
window.WebSocket = function (url) {
  var ws = new NativeWebSocket(url);
  var send = ws.send.bind(ws);
  ws.send = function (data) { trace.push([Date.now() - t0, 'out', new Uint8Array(data)[0]]); send(data); };
  ws.addEventListener('message', function (e) { trace.push([Date.now() - t0, 'in', new Uint8Array(e.data)[0]]); });
  ws.addEventListener('close', function (e) { closes.push({ code: e.code, reason: e.reason }); });
  return ws;
};
`);
  fs.writeFileSync(path.join(dir, 'pomelo.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>pomelo-jsclient-websocket</title>
<script src="/js/shim.js"></script>
<script src="/js/protocol.js"></script>
<script src="/js/pomelo-client.js"></script>
</head><body>
<script>
window.events = [];
['disconnect', 'heartbeat timeout', 'onKick', 'io-error', 'error'].forEach(function (name) {
  pomelo.on(name, function () { events.push(name); });
});
window.request = function (route, msg) {
  return new Promise(function (resolve) { pomelo.request(route, msg, resolve); });
};
pomelo.init({ host: location.hostname, port: location.port }, function () { window.connected = true; });
</script></body></html>
`);
}

async function main() {
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-pomelo-site-'));
  writeSite(site);
  // The shipped chat configuration's ws_path ("/ws") must not shut out a client that connects to "/".
  const server = startServer(program, { heartbeat_ms: HEARTBEAT_MS, static_dir: site });
  let browser = null;
  let failed = false;
  let evaluate = null;
  try {
    const addr = await server.addresses;
    browser = launchChromium(chromium);
    const devtools = new DevTools(await browser.endpoint);
    await devtools.open;
    const page = await openPage(devtools, `${addr.http}pomelo.html`);
    evaluate = page.evaluate;
    await page.until('window.connected === true', 15000);
    console.log('ok pomelo-jsclient-websocket connected to ws://HOST:PORT and finished the handshake');

    const idle = async (what) => {
      const start = await evaluate('Date.now()');
      await page.until(`Date.now() - ${start} >= ${IDLE_MS} || window.events.length > 0`, IDLE_MS + 10000);
      assert.deepStrictEqual(await evaluate('window.events'), [], `no disconnect while idle ${what}`);
    };
    await idle('after the handshake');
    let r = await evaluate(`request('room.join', { name: 'pat' })`);
    assert.deepStrictEqual(r, { code: 0, result: 'success' });
    console.log(`ok idle ${IDLE_MS} ms (heartbeat ${HEARTBEAT_MS} ms) after the handshake, then room.join succeeded`);

    await idle('after a join');
    r = await evaluate(`request('room.join', { name: 'pat again' })`);
    assert.deepStrictEqual(r, { code: 0, result: 'success' });
    console.log(`ok idle ${IDLE_MS} ms after a join, then a request succeeded`);

    // The gate's first Heartbeat follows the ack at once, and the library answered every one.
    const trace = await evaluate('window.trace');
    const ack = trace.find((t) => t[1] === 'out' && t[2] === 2);
    const firstIn = trace.find((t) => t[1] === 'in' && t[2] === 3);
    assert.ok(ack && firstIn && firstIn[0] - ack[0] < HEARTBEAT_MS / 2, 'a Heartbeat right after the ack');
    const out = trace.filter((t) => t[1] === 'out' && t[2] === 3).length;
    assert.ok(out >= (2 * IDLE_MS) / HEARTBEAT_MS - 4, `the library sent ${out} heartbeats`);
    assert.deepStrictEqual(await evaluate('window.closes'), []);
    console.log(`ok ${out} heartbeats from the library, each ${HEARTBEAT_MS} ms after one of ours`);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
    if (evaluate) {
      try {
        console.error('page events:', JSON.stringify(await evaluate('window.events')),
          'closes:', JSON.stringify(await evaluate('window.closes')),
          'trace:', JSON.stringify(await evaluate('window.trace')));
      } catch (e2) { /* the page is gone */ }
    }
  } finally {
    if (browser) closeChromium(browser);
    server.child.kill('SIGKILL');
    fs.rmSync(site, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
