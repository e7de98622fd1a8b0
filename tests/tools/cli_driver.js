// Shared by the hearth-cli tests: running hearth-cli as a child process and waiting, with
// deadlines, for the JSON lines it prints (connect) or for its exit (admin).
'use strict';

const { spawn } = require('child_process');
const net = require('net');

function withDeadline(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

// hearth-cli connect URL ...: commands go to its standard input (a pipe: script mode), every
// stdout line is a JSON event.
class CliClient {
  constructor(cli, args, name, env) {
    this.name = name;
    this.events = [];
    this.waiters = [];
    this.stderr = '';
    this.exitCode = null;
    let out = '';
    this.child = spawn(cli, ['connect', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env || process.env });
    this.child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        try {
          this.events.push(JSON.parse(line));
        } catch (e) {
          this.events.push({ type: 'unparsable', line });
        }
        this.wake();
      }
    });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => { // after stdout's last line
      this.exitCode = code;
      this.wake();
      resolve(code);
    }));
  }
  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  send(line) { this.child.stdin.write(line + '\n'); }
  end() { this.child.stdin.end(); }
  // The first event matching pred (removed), or a rejection at the deadline or on exit.
  waitFor(pred, what, ms = 5000) {
    return withDeadline(new Promise((resolve, reject) => {
      const check = () => {
        const i = this.events.findIndex(pred);
        if (i >= 0) return resolve(this.events.splice(i, 1)[0]);
        if (this.exitCode !== null) {
          return reject(new Error(`${this.name}: exited ${this.exitCode} while waiting for ${what}; stderr: ${this.stderr}`));
        }
        this.waiters.push(check);
      };
      check();
    }), ms, `${this.name}: ${what}`);
  }
  response(route, what = `the response to ${route}`) {
    return this.waitFor((e) => e.type === 'response' && e.route === route, what);
  }
  push(route, pred = () => true) {
    return this.waitFor((e) => e.type === 'push' && e.route === route && pred(e.body), `push ${route}`);
  }
  exit(ms = 10000) { return withDeadline(this.exited, ms, `${this.name}: its exit`); }
  kill() { if (this.exitCode === null) this.child.kill('SIGKILL'); }
}

// Runs hearth-cli to completion; resolves { code, stdout, stderr }.
function runCli(cli, args, env, ms = 15000) {
  return withDeadline(new Promise((resolve) => {
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env || process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  }), ms, `hearth-cli ${args.join(' ')}`);
}

// A port nothing listens on right now (for addresses that must be in a configuration file
// before the process that listens on them starts).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Resolves when `pred` returns a truthy value (polled at most every 50 ms), rejects at the deadline.
async function eventually(pred, what, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

module.exports = { CliClient, runCli, freePort, eventually, withDeadline };
