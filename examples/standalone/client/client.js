// A client of mygame over WebSocket, with the Pomelo protocol codecs from npm:
//   node client.js CONFIG NAME TEXT
// Reads the gate's address from the backend's configuration file (the node with a "gate"),
// waits up to 15 s for the backend to serve, then: handshake, login.login {name},
// room.join {}, room.say {text}, and waits for its own "onChat" push. Prints each step as
// "ROUTE -> JSON"; exits 0 when the push arrived, 1 otherwise.
'use strict';
process.noDeprecation = true; // pomelo-protocol uses new Buffer()

const fs = require('fs');
const WebSocket = require('ws');
const { Package, Message, strencode, strdecode } = require('pomelo-protocol');

const [configFile, name, text] = process.argv.slice(2);
if (!configFile || !name || !text) {
  console.error('usage: node client.js CONFIG NAME TEXT');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
const gate = config.gate || Object.values(config.nodes || {}).map((n) => n.gate).find(Boolean);
const url = `ws://${gate.host || '127.0.0.1'}:${gate.ws_port}${gate.ws_path || '/ws'}`;
const deadline = Date.now() + 15000;

function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

class Session {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.waiting = new Map(); // request id -> resolve
    this.pushes = [];
    this.onPush = null;
    ws.on('message', (data) => this.receive(Package.decode(data)));
    this.handshaken = new Promise((resolve) => { this.onHandshake = resolve; });
    this.send(Package.TYPE_HANDSHAKE, strencode(JSON.stringify({ sys: { type: 'mygame-client', version: '0.1.0' }, user: {} })));
  }
  send(type, body) { this.ws.send(Package.encode(type, body)); }
  receive(pkgs) {
    for (const pkg of [].concat(pkgs)) {
      if (pkg.type === Package.TYPE_HANDSHAKE) {
        this.heartbeat = JSON.parse(strdecode(pkg.body)).sys.heartbeat;
        this.send(Package.TYPE_HANDSHAKE_ACK);
        this.onHandshake();
      } else if (pkg.type === Package.TYPE_HEARTBEAT) {
        this.send(Package.TYPE_HEARTBEAT);
      } else if (pkg.type === Package.TYPE_KICK) {
        console.log(`kicked ${strdecode(pkg.body)}`);
      } else if (pkg.type === Package.TYPE_DATA) {
        const error = (pkg.body[0] & 0x20) !== 0;
        const msg = Message.decode(pkg.body);
        const body = JSON.parse(strdecode(msg.body) || 'null');
        if (msg.type === Message.TYPE_RESPONSE) {
          const done = this.waiting.get(msg.id);
          this.waiting.delete(msg.id);
          if (done) done({ error, body });
        } else if (msg.type === Message.TYPE_PUSH) {
          console.log(`${msg.route} ${JSON.stringify(body)}`);
          if (this.onPush) this.onPush(msg.route, body);
        }
      }
    }
  }
  request(route, body) {
    const id = this.nextId++;
    this.send(Package.TYPE_DATA, Message.encode(id, Message.TYPE_REQUEST, 0, route, strencode(JSON.stringify(body))));
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  let ws;
  for (;;) { // the backend may still be starting
    try { ws = await connect(); break; } catch (e) {
      if (Date.now() > deadline) throw new Error(`cannot connect to ${url}: ${e.message}`);
      await pause(200);
    }
  }
  console.log(`connected ${url}`);
  const session = new Session(ws);
  await session.handshaken;
  const step = async (route, body, retry) => {
    for (;;) {
      const r = await session.request(route, body);
      if (!r.error) {
        console.log(`${route} -> ${JSON.stringify(r.body)}`);
        return r.body;
      }
      // A game node may not have joined the gate yet: retry until the deadline.
      if (!retry || Date.now() > deadline) throw new Error(`${route} failed: ${JSON.stringify(r.body)}`);
      await pause(200);
    }
  };
  const pushed = new Promise((resolve) => {
    session.onPush = (route, body) => { if (route === 'onChat' && body.from === name && body.text === text) resolve(); };
  });
  await step('login.login', { name }, false);
  await step('room.join', {}, true);
  await step('room.say', { text }, false);
  await Promise.race([pushed, pause(5000).then(() => { throw new Error('no onChat push within 5 s'); })]);
  ws.close();
}

main().then(() => process.exit(0), (e) => { console.error(`client: ${e.message}`); process.exit(1); });
