// Shared by the Node.js gate tests: starting the chat example on free ports, and a Pomelo
// client (pomelo-protocol codecs) over TCP, WebSocket, TLS or WebSocket over TLS with
// deadline-bounded waits.
'use strict';

process.noDeprecation = true; // pomelo-protocol uses new Buffer()

const Protocol = require('pomelo-protocol');
const WebSocket = require('ws');
const { Package, Message } = Protocol;
const net = require('net');
const tls = require('tls');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const assert = require('assert');


const HEARTBEAT_MS = 400;
const dict = { 'room.join': 1, 'room.message': 2, onMessage: 3, onNewUser: 4, onMembers: 5, onLeave: 6 };

function withDeadline(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

// Starts the server on free ports and resolves with its printed addresses once it says "ready":
// { host, port, ws, http } always, plus tls ({ host, port }), wss, https and admin when those
// endpoints are configured. `gate` overrides members of the gate's configuration (e.g.
// heartbeat_ms, static_dir, tls_port), `top` adds top-level members (e.g. admin).
function startServer(program, gate = {}, top = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-node-'));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    node: { name: 'chat', threads: 2, log_level: 'warn' },
    gate: { host: '127.0.0.1', tcp_port: 0, ws_port: 0, ws_path: '/ws', heartbeat_ms: HEARTBEAT_MS, dict, ...gate },
    ...top,
  }));
  const child = spawn(program, ['--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const addresses = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!/^ready \S+$/m.test(out)) return;
      const tcp = out.match(/^tcp:\/\/([\d.]+):(\d+)$/m);
      const ws = out.match(/^(ws:\/\/[\d.]+:\d+\/ws)$/m);
      const http = out.match(/^(http:\/\/[\d.]+:\d+\/)$/m);
      const tlsUrl = out.match(/^tls:\/\/([\d.]+):(\d+)$/m);
      const wss = out.match(/^(wss:\/\/[\d.]+:\d+\/ws)$/m);
      const https = out.match(/^(https:\/\/[\d.]+:\d+\/)$/m);
      const admin = out.match(/^admin (http:\/\/[\d.]+:\d+)$/m);
      const a = {};
      if (tcp) Object.assign(a, { host: tcp[1], port: Number(tcp[2]) });
      if (ws) a.ws = ws[1];
      if (http) a.http = http[1];
      if (tlsUrl) a.tls = { host: tlsUrl[1], port: Number(tlsUrl[2]) };
      if (wss) a.wss = wss[1];
      if (https) a.https = https[1];
      if (admin) a.admin = admin[1];
      resolve(a);
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  return { child, dir, config, addresses: withDeadline(addresses, 10000, 'the server addresses') };
}

// A Pomelo client: transport = 'tcp' | 'ws' | 'tls' | 'wss'. Packets and messages go through
// pomelo-protocol. `tlsOptions` (tls and wss) go to tls.connect: ca, cert, key, versions...;
// the server name is 'localhost', which the gate's certificate names.
class Client {
  constructor(transport, addr, name, tlsOptions = {}) {
    this.transport = transport;
    this.name = name;
    this.waiters = [];
    this.events = [];
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.nextId = 1;
    this.codes = {};
    this.dict = {};
    this.opened = new Promise((resolve, reject) => {
      if (transport === 'tcp' || transport === 'tls') {
        if (transport === 'tcp') {
          this.sock = net.connect(addr.port, addr.host, resolve);
        } else {
          this.sock = tls.connect({ host: addr.tls.host, port: addr.tls.port, servername: 'localhost', ...tlsOptions },
            resolve);
        }
        this.sock.setNoDelay(true);
        this.sock.on('data', (d) => this.onBytes(d));
        this.sock.on('close', () => this.onClose());
        this.sock.on('error', (e) => {
          this.error = e;
          reject(e);
        });
      } else {
        this.sock = transport === 'ws' ? new WebSocket(addr.ws)
          : new WebSocket(addr.wss, { servername: 'localhost', ...tlsOptions });
        this.sock.binaryType = 'nodebuffer';
        this.sock.on('open', resolve);
        this.sock.on('message', (d) => this.onBytes(d));
        this.sock.on('close', (code, reason) => {
          this.closeCode = code; // 1006: no close frame
          this.closeReason = String(reason);
          this.onClose();
        });
        this.sock.on('error', (e) => {
          this.error = e;
          reject(e);
        });
      }
    });
  }
  send(bytes) {
    if (this.transport === 'tcp' || this.transport === 'tls') this.sock.write(Buffer.from(bytes));
    else this.sock.send(Buffer.from(bytes));
  }
  onBytes(d) {
    // TCP is a stream: frame by the 4-byte header, then let pomelo-protocol decode each packet.
    this.buffer = Buffer.concat([this.buffer, d]);
    while (this.buffer.length >= 4) {
      const len = (this.buffer[1] << 16) | (this.buffer[2] << 8) | this.buffer[3];
      if (this.buffer.length < 4 + len) break;
      const pkg = Package.decode(this.buffer.subarray(0, 4 + len));
      this.buffer = this.buffer.subarray(4 + len);
      this.onPacket(pkg);
    }
  }
  onPacket(pkg) {
    this.received = (this.received || 0) + 1;
    const ev = { type: pkg.type, seq: this.received }; // seq: arrival order on this client
    if (pkg.type === Package.TYPE_HANDSHAKE || pkg.type === Package.TYPE_KICK) {
      ev.json = JSON.parse(Protocol.strdecode(pkg.body));
    } else if (pkg.type === Package.TYPE_DATA) {
      const raw = Buffer.from(pkg.body);
      const msg = Message.decode(pkg.body);
      ev.error = (raw[0] & 0x20) !== 0;
      ev.msgType = msg.type;
      ev.id = msg.id;
      ev.compressed = !!msg.compressRoute;
      ev.route = msg.compressRoute ? this.codes[msg.route] : msg.route;
      const text = Protocol.strdecode(msg.body);
      ev.json = text.length ? JSON.parse(text) : null;
    }
    if (pkg.type === Package.TYPE_HEARTBEAT) {
      this.heartbeats = (this.heartbeats || 0) + 1;
      // pomelo-jsclient-websocket's rule: one answer `ms` after a Heartbeat, none while pending.
      if (this.answerMs && !this.answerTimer) {
        this.answerTimer = setTimeout(() => {
          this.answerTimer = null;
          if (!this.closed) this.heartbeatBack();
        }, this.answerMs);
      }
    }
    this.events.push(ev);
    this.wake();
  }
  onClose() {
    this.closed = true;
    clearTimeout(this.answerTimer);
    clearInterval(this.ownTimer);
    this.wake();
  }
  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
  // Resolves with the first event matching pred (removing it), or rejects at the deadline.
  waitFor(pred, what, ms = 5000) {
    return withDeadline(new Promise((resolve, reject) => {
      const check = () => {
        const i = this.events.findIndex(pred);
        if (i >= 0) return resolve(this.events.splice(i, 1)[0]);
        if (this.closed) return reject(new Error(`${this.name}: closed while waiting for ${what}`));
        this.waiters.push(check);
      };
      check();
    }), ms, `${this.name}: ${what}`);
  }
  waitClosed(what, ms = 5000) {
    return withDeadline(new Promise((resolve) => {
      const check = () => (this.closed ? resolve() : this.waiters.push(check));
      check();
    }), ms, `${this.name}: ${what}`);
  }
  async handshake() {
    await this.opened;
    const hs = { sys: { type: 'js-websocket', version: '0.0.1' }, user: {} };
    this.send(Package.encode(Package.TYPE_HANDSHAKE, Protocol.strencode(JSON.stringify(hs))));
    const ev = await this.waitFor((e) => e.type === Package.TYPE_HANDSHAKE, 'the handshake reply');
    assert.strictEqual(ev.json.code, 200);
    this.dict = ev.json.sys.dict || {};
    for (const r of Object.keys(this.dict)) this.codes[this.dict[r]] = r;
    this.send(Package.encode(Package.TYPE_HANDSHAKE_ACK));
    return ev.json;
  }
  request(route, body, compress) {
    const id = this.nextId++;
    const r = compress ? this.dict[route] : route;
    this.send(Package.encode(Package.TYPE_DATA,
      Message.encode(id, Message.TYPE_REQUEST, compress ? 1 : 0, r, Protocol.strencode(JSON.stringify(body)))));
    return this.waitFor((e) => e.type === Package.TYPE_DATA && e.msgType === Message.TYPE_RESPONSE && e.id === id,
      `the response to ${route}`);
  }
  notify(route, body, compress) {
    const r = compress ? this.dict[route] : route;
    this.send(Package.encode(Package.TYPE_DATA,
      Message.encode(0, Message.TYPE_NOTIFY, compress ? 1 : 0, r, Protocol.strencode(JSON.stringify(body)))));
  }
  push(route, pred = () => true) {
    return this.waitFor((e) => e.type === Package.TYPE_DATA && e.msgType === Message.TYPE_PUSH && e.route === route &&
      pred(e.json), `push ${route}`);
  }
  heartbeatBack() {
    this.sentHeartbeats = (this.sentHeartbeats || 0) + 1;
    this.send(Package.encode(Package.TYPE_HEARTBEAT));
  }
  // Behave like pomelo-jsclient-websocket, pomelo-protocol users and Nano's starx: send a
  // Heartbeat only `ms` after each server Heartbeat (call before the handshake).
  answerHeartbeats(ms) { this.answerMs = ms; }
  // Behave like clients with their own timer (Pitaya's): a Heartbeat every `ms`, starting now.
  heartbeatOnOwnTimer(ms) {
    this.heartbeatBack();
    this.ownTimer = setInterval(() => { if (!this.closed) this.heartbeatBack(); }, ms);
  }
  stopHeartbeats() {
    this.answerMs = 0;
    clearTimeout(this.answerTimer);
    clearInterval(this.ownTimer);
  }
}


module.exports = { Protocol, Package, Message, Client, startServer, withDeadline, HEARTBEAT_MS, dict };
