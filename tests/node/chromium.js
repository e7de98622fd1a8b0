#!/usr/bin/env node
// Headless Chromium test of the chat example: the browser opens the page the gate serves,
// joins, and chats with a second client (pomelo-protocol over WebSocket from Node.js).
//
//   node chromium.js PATH/TO/hearth_example_chat
//
// Chromium is driven through its DevTools protocol (--remote-debugging-port=0, a WebSocket
// the `ws` package speaks). Exit 0 pass, 1 fail, 77 skipped (no chromium or npm packages).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const assert = require('assert');

try {
  require.resolve('pomelo-protocol');
  require.resolve('ws');
} catch (e) {
  console.log('SKIP: npm packages missing; run tests/node/setup.sh');
  process.exit(77);
}
function findChromium() {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
    } catch (e) { /* try the next */ }
  }
  return null;
}
const chromium = findChromium();
if (!chromium) {
  console.log('SKIP: chromium not found');
  process.exit(77);
}
const WebSocket = require('ws');
const { Client, startServer, withDeadline } = require('./harness');

const program = process.argv[2];
if (!program) {
  console.error('usage: node chromium.js PATH/TO/hearth_example_chat');
  process.exit(1);
}

function launchChromium() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-chromium-'));
  const child = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`chromium exited with ${code}: ${err.slice(-2000)}`)));
  });
  return { child, profile, endpoint: withDeadline(endpoint, 30000, 'chromium DevTools') };
}

// Minimal DevTools protocol client (flattened sessions).
class DevTools {
  constructor(url) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.nextId = 1;
    this.pending = new Map();
    this.open = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
    this.ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.id && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new Error(JSON.stringify(m.error)));
        else resolve(m.result);
      }
    });
  }
  send(method, params = {}, sessionId) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return withDeadline(new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify(msg));
    }), 20000, method);
  }
}

async function main() {
  const server = startServer(program);
  let browser = null;
  let failed = false;
  try {
    const addr = await server.addresses;
    browser = launchChromium();
    const devtools = new DevTools(await browser.endpoint);
    await devtools.open;
    const { targetId } = await devtools.send('Target.createTarget', { url: `${addr.http}?name=carol` });
    const { sessionId } = await devtools.send('Target.attachToTarget', { targetId, flatten: true });
    const evaluate = async (expression) => {
      const r = await devtools.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
      if (r.exceptionDetails) throw new Error(`page: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    };
    // Resolves in the page when cond() holds (checked on every animation frame / 20 ms), at most ms.
    const until = async (cond, ms) => {
      // The first evaluation may race the navigation away from about:blank: retry those.
      const end = Date.now() + ms;
      for (;;) {
        try {
          return await untilOnce(cond, ms);
        } catch (e) {
          if (!/context/i.test(String(e.message)) || Date.now() > end) throw e;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    const untilOnce = (cond, ms) => evaluate(`new Promise((resolve, reject) => {
      const end = Date.now() + ${ms};
      const check = () => { try { if (${cond}) return resolve(true); } catch (e) {}
        if (Date.now() > end) return reject(new Error('timed out: ' + ${JSON.stringify(cond)}));
        setTimeout(check, 20); };
      check(); })`);

    await until(`document.body.dataset.state === 'joined'`, 15000);
    console.log('ok the page loaded from the gate, connected over WebSocket and joined');

    const dan = new Client('ws', addr, 'node-client');
    const keep = setInterval(() => { if (!dan.closed) dan.heartbeatBack(); }, 200);
    await dan.handshake();
    const r = await dan.request('room.join', { name: 'dan' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    await until(`document.getElementById('log').textContent.includes('New user: dan')`, 10000);
    console.log('ok the browser saw the second client join');

    await evaluate(`chat.send('hello from chromium'), true`);
    const p = await dan.push('onMessage', (m) => m.content === 'hello from chromium');
    assert.strictEqual(p.json.name, 'carol');
    console.log('ok a message sent from the browser arrived at the second client');

    dan.notify('room.message', { name: 'dan', content: 'hello from node' }, false);
    await until(`document.getElementById('log').textContent.includes('dan: hello from node')`, 10000);
    console.log('ok a message from the second client appeared on the page');
    clearInterval(keep);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
  } finally {
    if (browser) {
      browser.child.kill('SIGKILL');
      try { fs.rmSync(browser.profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
    }
    server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
