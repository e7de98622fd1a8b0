/*
 * hearth-client.js: a Pomelo-protocol game client for Hearth gates, with session resume
 * (docs/resume.md). The network blinks, the client reconnects with backoff and its resume
 * token, and the game sees no gap: the gate replays every Response and Push it missed.
 *
 * Browser:  <script src="/hearth-client.js"></script>           (defines window.HearthClient)
 * Node.js:  const HearthClient = require('hearth-client');
 *           new HearthClient({ url, WebSocket: require('ws'), protocol: require('pomelo-protocol') })
 *
 *   const c = new HearthClient({ url: 'wss://game.example.com/ws' });
 *   c.on('onMessage', (m) => ...);
 *   c.onstate = (state) => ...;   // connecting, connected, reconnecting, resumed, new-session,
 *                                 // kicked, closed
 *   await c.connect({ name: 'ann' });   // the handshake's "user"
 *   const r = await c.request('room.join', { name: 'ann' });
 *   c.notify('room.message', { content: 'hi' });
 *   c.logout();                         // a close frame 1000: the session ends at once
 *
 * "new-session" means the gate could not resume (the grace ran out, the server restarted...):
 * the session's uid binding and groups are gone, so the game logs in again. Requests still
 * waiting then fail with {code: "session_lost"}. Requests made while reconnecting are sent once
 * the session is back.
 *
 * Packets and messages go through pomelo-protocol's Package and Message when `protocol` is
 * given, else through the small codec below (the same wire format, client-protocol.md), so a
 * page needs no bundler.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.HearthClient = factory();
}(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const PKG = { HANDSHAKE: 1, ACK: 2, HEARTBEAT: 3, DATA: 4, KICK: 5 };
  const MSG = { REQUEST: 0, NOTIFY: 1, RESPONSE: 2, PUSH: 3 };
  const ERROR_FLAG = 0x20; // Hearth's error Response (client-protocol.md section 3)
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  // The codec: packet(type, bytes), message(kind, id, route, compressed, bytes) and
  // parseMessage(bytes) -> { kind, id, route (a name, or a dictionary code when compressed),
  // compressed, error, body }.
  const builtinCodec = {
    packet(type, body) {
      body = body || new Uint8Array(0);
      const out = new Uint8Array(4 + body.length);
      out[0] = type;
      out[1] = (body.length >> 16) & 0xff;
      out[2] = (body.length >> 8) & 0xff;
      out[3] = body.length & 0xff;
      out.set(body, 4);
      return out;
    },
    message(kind, id, route, compressed, payload) {
      const head = [(kind << 1) | (compressed ? 1 : 0)];
      if (kind === MSG.REQUEST) {
        let v = id;
        do {
          const b = v % 128;
          v = Math.floor(v / 128);
          head.push(v ? b | 0x80 : b);
        } while (v);
      }
      if (compressed) head.push((route >> 8) & 0xff, route & 0xff);
      else {
        const r = enc.encode(route);
        head.push(r.length);
        for (const b of r) head.push(b);
      }
      const out = new Uint8Array(head.length + payload.length);
      out.set(head);
      out.set(payload, head.length);
      return out;
    },
    parseMessage(body) {
      const flag = body[0];
      const kind = (flag >> 1) & 7;
      let off = 1;
      let id = 0;
      if (kind === MSG.REQUEST || kind === MSG.RESPONSE) {
        let shift = 0;
        let b;
        do {
          b = body[off++];
          id += (b & 0x7f) * Math.pow(2, shift);
          shift += 7;
        } while (b & 0x80);
      }
      let route = null;
      const compressed = (flag & 1) === 1;
      if (kind === MSG.NOTIFY || kind === MSG.PUSH || kind === MSG.REQUEST) {
        if (compressed) {
          route = (body[off] << 8) | body[off + 1];
          off += 2;
        } else {
          const n = body[off++];
          route = dec.decode(body.subarray(off, off + n));
          off += n;
        }
      }
      return { kind, id, route, compressed, error: (flag & ERROR_FLAG) !== 0, body: body.subarray(off) };
    },
  };

  function pomeloCodec(P) {
    return {
      packet: (type, body) => P.Package.encode(type, body),
      message: (kind, id, route, compressed, payload) => P.Message.encode(id, kind, compressed ? 1 : 0, route, payload),
      parseMessage(body) {
        const m = P.Message.decode(body);
        // pomelo-protocol does not read Hearth's error flag: take it from the flag byte.
        return { kind: m.type, id: m.id, route: m.route, compressed: !!m.compressRoute,
          error: (body[0] & ERROR_FLAG) !== 0, body: m.body };
      },
    };
  }

  class HearthClient {
    constructor(options) {
      const o = options || {};
      this.url = o.url;
      this.WebSocket = o.WebSocket || (typeof WebSocket !== 'undefined' ? WebSocket : null);
      if (!this.url || !this.WebSocket) throw new Error('HearthClient: a url and a WebSocket implementation are needed');
      this.codec = o.protocol ? pomeloCodec(o.protocol) : builtinCodec;
      this.resume = o.resume !== false;
      this.backoff = Object.assign({ initial: 250, max: 5000, attempts: Infinity }, o.backoff);
      this.requestTimeout = o.requestTimeout || 15000;
      this.handlers = new Map();
      this.pending = new Map(); // request id -> { resolve, reject, timer }
      this.outbox = [];         // packets made while reconnecting
      this.nextId = 1;
      this.token = null;        // the last resume token the gate gave
      this.received = 0;        // Response and Push packets received on this session (K)
      this.dict = {};
      this.codes = {};
      this.state = 'idle';
      this.onstate = null;      // (state, detail)
      this.onkick = null;       // (reason)
      this.user = {};
      this.ended = false;       // logout, kick or given up: no more reconnects
      this.attempt = 0;
    }

    on(route, fn) { this.handlers.set(route, fn); }

    /** Connects and handshakes; resolves with the handshake reply once the ack is sent. */
    connect(user) {
      this.user = user || {};
      this.ended = false;
      return this._open();
    }

    request(route, msg) {
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject({ code: 'timeout', message: 'No response to ' + route + ' in time.' });
        }, this.requestTimeout);
        this.pending.set(id, { resolve, reject, timer });
        this._send(this._data(MSG.REQUEST, id, route, msg));
      });
    }

    notify(route, msg) { this._send(this._data(MSG.NOTIFY, 0, route, msg)); }

    /** Leaves on purpose: the gate ends the session at once (no parking). */
    logout() {
      this.ended = true;
      clearTimeout(this.retryTimer);
      if (this.ws) this.ws.close(1000);
      else this._setState('closed');
    }

    // ---- internals ------------------------------------------------------------------------------

    _setState(state, detail) {
      this.state = state;
      if (this.onstate) this.onstate(state, detail);
    }

    _data(kind, id, route, msg) {
      const code = this.dict[route];
      const compressed = code !== undefined;
      const payload = enc.encode(JSON.stringify(msg === undefined ? {} : msg));
      return this.codec.packet(PKG.DATA, this.codec.message(kind, id, compressed ? code : route, compressed, payload));
    }

    _send(bytes) {
      if (this.state === 'connected' || this.state === 'resumed' || this.state === 'new-session') this.ws.send(bytes);
      else this.outbox.push(bytes);
    }

    _open() {
      const resuming = this.resume && this.token !== null;
      this._setState(resuming ? 'reconnecting' : 'connecting');
      return new Promise((resolve, reject) => {
        let settled = false;
        const ws = this.ws = new this.WebSocket(this.url);
        ws.binaryType = 'arraybuffer';
        this.buffer = new Uint8Array(0);
        ws.onopen = () => {
          const sys = { type: 'js-websocket', version: '0.0.1' };
          if (resuming) sys.resume = { token: this.token, received: this.received };
          ws.send(this.codec.packet(PKG.HANDSHAKE, enc.encode(JSON.stringify({ sys, user: this.user }))));
        };
        ws.onmessage = (ev) => this._bytes(new Uint8Array(ev.data), (hs) => {
          settled = true;
          resolve(hs);
        }, (err) => {
          settled = true;
          reject(err);
        });
        ws.onerror = () => {};
        ws.onclose = (ev) => {
          this._stopTimers();
          if (this.ws !== ws) return;
          this.ws = null;
          if (!settled && !resuming) {
            settled = true;
            reject(new Error('connection closed before the handshake'));
          }
          this._lost(ev && ev.code);
        };
      });
    }

    // The connection is gone: reconnect and resume, or end.
    _lost() {
      if (this.ended || !this.resume || this.token === null || this.attempt >= this.backoff.attempts) {
        this.ended = true;
        this._failPending('closed', 'The connection closed.');
        if (this.state !== 'kicked') this._setState('closed');
        return;
      }
      const delay = Math.min(this.backoff.max, this.backoff.initial * Math.pow(2, this.attempt++));
      this._setState('reconnecting', { delay });
      // Jitter, so that a server restart is not met by every client at the same instant.
      this.retryTimer = setTimeout(() => {
        if (!this.ended) this._open().catch(() => {});
      }, delay * (0.5 + Math.random() / 2));
    }

    _bytes(bytes, resolve, reject) {
      this.lastInbound = Date.now();
      const all = new Uint8Array(this.buffer.length + bytes.length);
      all.set(this.buffer);
      all.set(bytes, this.buffer.length);
      let off = 0;
      while (all.length - off >= 4) {
        const len = (all[off + 1] << 16) | (all[off + 2] << 8) | all[off + 3];
        if (all.length - off < 4 + len) break;
        this._packet(all[off], all.subarray(off + 4, off + 4 + len), resolve, reject);
        off += 4 + len;
      }
      this.buffer = all.slice(off);
    }

    _packet(type, body, resolve, reject) {
      if (type === PKG.HANDSHAKE) {
        const hs = JSON.parse(dec.decode(body));
        if (hs.code !== 200) {
          this.ended = true;
          reject(Object.assign(new Error(hs.message || 'handshake refused'), { code: hs.code }));
          return;
        }
        const sys = hs.sys || {};
        this.dict = sys.dict || {};
        this.codes = {};
        for (const r in this.dict) this.codes[this.dict[r]] = r;
        const wasResuming = this.token !== null;
        const resume = sys.resume;
        this.token = resume ? resume.token : null;
        this.ws.send(this.codec.packet(PKG.ACK));
        this.attempt = 0;
        this._startHeartbeat(sys.heartbeat || 0);
        let state = 'connected';
        if (wasResuming) {
          if (resume && resume.resumed) state = 'resumed';
          else {
            // A new session: what the old one owed will never come.
            this.received = 0;
            this._failPending('session_lost', 'The session was lost; log in again.');
            state = 'new-session';
          }
        }
        this._setState(state);
        const queued = this.outbox;
        this.outbox = [];
        for (const p of queued) this.ws.send(p);
        resolve(hs);
      } else if (type === PKG.DATA) {
        this.received++;
        this._message(this.codec.parseMessage(body));
      } else if (type === PKG.KICK) {
        this.ended = true;
        let reason = '';
        try { reason = JSON.parse(dec.decode(body)).reason; } catch (e) { /* a kick without a body */ }
        this._setState('kicked', { reason });
        if (this.onkick) this.onkick(reason);
      }
      // Heartbeats need no answer: the client sends its own on the gate's period.
    }

    _message(m) {
      const text = dec.decode(m.body);
      const payload = text.length ? JSON.parse(text) : null;
      if (m.kind === MSG.RESPONSE) {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error) p.reject(payload);
        else p.resolve(payload);
      } else if (m.kind === MSG.PUSH) {
        const route = m.compressed ? this.codes[m.route] : m.route;
        const fn = this.handlers.get(route);
        if (fn) fn(payload);
      }
    }

    _failPending(code, message) {
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject({ code, message });
      }
      this.pending.clear();
      this.outbox = [];
    }

    // A Heartbeat every period; nothing from the gate for two periods means the connection is
    // dead even if the socket has not noticed (a tunnel): close it and resume.
    _startHeartbeat(seconds) {
      this._stopTimers();
      if (!(seconds > 0)) return;
      const ms = seconds * 1000;
      const ws = this.ws;
      this.heartbeatTimer = setInterval(() => {
        if (ws.readyState !== 1) return;
        if (Date.now() - this.lastInbound > 2 * ms + 1000) {
          // Do not wait for a close handshake nobody will answer: drop it and resume now.
          this._stopTimers();
          this.ws = null;
          ws.close(4000, 'heartbeat timeout');
          this._lost();
          return;
        }
        ws.send(this.codec.packet(PKG.HEARTBEAT));
      }, ms);
    }

    _stopTimers() { clearInterval(this.heartbeatTimer); }
  }

  HearthClient.PKG = PKG;
  HearthClient.MSG = MSG;
  return HearthClient;
}));
