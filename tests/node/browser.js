// Headless Chromium for the Node.js tests: finding it, launching it with a DevTools endpoint,
// and a minimal DevTools protocol client (the `ws` package speaks it) that opens a page and
// evaluates expressions in it with deadlines.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const WebSocket = require('ws');
const { withDeadline } = require('./harness');

// The chromium binary ($CHROMIUM, chromium, chromium-browser, google-chrome), or null.
function findChromium() {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
    } catch (e) { /* try the next */ }
  }
  return null;
}

// Starts headless Chromium with a DevTools endpoint on a free port. Timers are not throttled:
// the page under test behaves as a tab in the foreground. `extraArgs` go before the first URL.
function launchChromium(chromium, extraArgs = []) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-chromium-'));
  const child = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', `--user-data-dir=${profile}`, '--remote-debugging-port=0',
    ...extraArgs, 'about:blank',
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

// Opens `url` in a new tab; resolves with { evaluate(expr), until(cond, ms) } for that page.
// until() resolves when the page expression `cond` holds (checked every 20 ms), at most `ms`.
async function openPage(devtools, url) {
  const { targetId } = await devtools.send('Target.createTarget', { url });
  const { sessionId } = await devtools.send('Target.attachToTarget', { targetId, flatten: true });
  const evaluate = async (expression) => {
    const r = await devtools.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(`page: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
  const untilOnce = (cond, ms) => evaluate(`new Promise((resolve, reject) => {
    const end = Date.now() + ${ms};
    const check = () => { try { if (${cond}) return resolve(true); } catch (e) {}
      if (Date.now() > end) return reject(new Error('timed out: ' + ${JSON.stringify(cond)}));
      setTimeout(check, 20); };
    check(); })`);
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
  return { evaluate, until };
}

// Kills the browser and removes its profile.
function closeChromium(browser) {
  browser.child.kill('SIGKILL');
  try { fs.rmSync(browser.profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
}

module.exports = { findChromium, launchChromium, closeChromium, DevTools, openPage };
