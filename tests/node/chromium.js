#!/usr/bin/env node
// Headless Chromium test of the chat example: the browser opens the page the gate serves,
// joins, and chats with a second client (pomelo-protocol over WebSocket from Node.js).
//
//   node chromium.js PATH/TO/hearth_example_chat
//
// Chromium is driven through its DevTools protocol (--remote-debugging-port=0, a WebSocket
// the `ws` package speaks). Exit 0 pass, 1 fail, 77 skipped (no chromium or npm packages).
'use strict';

const assert = require('assert');

try {
  require.resolve('pomelo-protocol');
  require.resolve('ws');
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
const { Client, startServer } = require('./harness');

const program = process.argv[2];
if (!program) {
  console.error('usage: node chromium.js PATH/TO/hearth_example_chat');
  process.exit(1);
}

async function main() {
  const server = startServer(program);
  let browser = null;
  let failed = false;
  try {
    const addr = await server.addresses;
    browser = launchChromium(chromium);
    const devtools = new DevTools(await browser.endpoint);
    await devtools.open;
    const { evaluate, until } = await openPage(devtools, `${addr.http}?name=carol`);

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
    if (browser) closeChromium(browser);
    server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
