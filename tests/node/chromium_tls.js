#!/usr/bin/env node
// Headless Chromium test of the chat example over TLS: the browser opens the page the gate
// serves over https on its wss port, joins over wss, and chats with a second client
// (pomelo-protocol over the `ws` package's wss).
//
//   node chromium_tls.js PATH/TO/hearth_example_chat PATH/TO/hearth_test_certs
//
// The gate's certificate comes from the test CA, which Chromium does not know: Chromium trusts
// that one key only (--ignore-certificate-errors-spki-list with the SHA-256 of its
// SubjectPublicKeyInfo), so every other certificate check still runs. Exit 0 pass, 1 fail,
// 77 skipped (no chromium or npm packages).
'use strict';

const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

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

const [program, certTool] = process.argv.slice(2);
if (!program || !certTool) {
  console.error('usage: node chromium_tls.js PATH/TO/hearth_example_chat PATH/TO/hearth_test_certs');
  process.exit(1);
}

async function main() {
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-certs-'));
  execFileSync(certTool, [certs], { stdio: ['ignore', 'inherit', 'inherit'] });
  const pem = (name) => fs.readFileSync(path.join(certs, name));
  const spki = new crypto.X509Certificate(pem('server.pem')).publicKey.export({ type: 'spki', format: 'der' });
  const pin = crypto.createHash('sha256').update(spki).digest('base64');

  const server = startServer(program, {
    wss_port: 0,
    tls: { certificate_chain_file: path.join(certs, 'server.pem'), private_key_file: path.join(certs, 'server.key') },
  });
  let browser = null;
  let failed = false;
  try {
    const addr = await server.addresses;
    assert.ok(addr.https && addr.wss, `addresses printed: ${JSON.stringify(addr)}`);
    browser = launchChromium(chromium, [`--ignore-certificate-errors-spki-list=${pin}`]);
    const devtools = new DevTools(await browser.endpoint);
    await devtools.open;
    const { evaluate, until } = await openPage(devtools, `${addr.https}?name=carol`);

    await until(`document.body.dataset.state === 'joined'`, 15000);
    assert.strictEqual(await evaluate('location.protocol'), 'https:');
    console.log('ok the page loaded over https from the gate, connected over wss and joined');

    const dan = new Client('wss', addr, 'node-client', { ca: pem('ca.pem') });
    const keep = setInterval(() => { if (!dan.closed) dan.heartbeatBack(); }, 200);
    await dan.handshake();
    const r = await dan.request('room.join', { name: 'dan' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });
    await until(`document.getElementById('log').textContent.includes('New user: dan')`, 10000);
    console.log('ok the browser saw the second client join');

    await evaluate(`chat.send('hello from chromium over tls'), true`);
    const p = await dan.push('onMessage', (m) => m.content === 'hello from chromium over tls');
    assert.strictEqual(p.json.name, 'carol');
    console.log('ok a message sent from the browser arrived at the second client');

    dan.notify('room.message', { name: 'dan', content: 'hello from node over tls' }, false);
    await until(`document.getElementById('log').textContent.includes('dan: hello from node over tls')`, 10000);
    console.log('ok a message from the second client appeared on the page');
    clearInterval(keep);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
  } finally {
    if (browser) closeChromium(browser);
    server.child.kill('SIGKILL');
    for (const dir of [certs, server.dir]) fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
