#!/usr/bin/env node
// Prints the test vectors of client-protocol.md section 6 as encoded by pomelo-protocol, an
// independent implementation of the protocol, one "name hex" line each (names and order match
// tests/session/vectors.hpp).
//
//   node vectors.js                 print the vectors
//   node vectors.js --check PROGRAM run PROGRAM (which prints Hearth's encoding of the same
//                                   vectors in the same format) and compare line by line; then
//                                   run PROGRAM --roundtrip with these lines on stdin (Hearth
//                                   decodes pomelo's bytes and re-encodes them) and compare again
//
// Exit codes: 0 equal, 1 different or PROGRAM failed, 77 skipped (pomelo-protocol missing:
// run tests/node/setup.sh).
'use strict';

process.noDeprecation = true; // pomelo-protocol uses new Buffer()

let Protocol;
try {
  Protocol = require('pomelo-protocol');
} catch (e) {
  console.log('SKIP: pomelo-protocol is not installed; run tests/node/setup.sh');
  process.exit(77);
}
const { Package, Message } = Protocol;

const hex = (buf) => Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join(' ');
const data = (msg) => Package.encode(Package.TYPE_DATA, msg);
const json = (s) => Protocol.strencode(s);

const vectors = [
  ['handshake_ack', Package.encode(Package.TYPE_HANDSHAKE_ACK)],
  ['heartbeat', Package.encode(Package.TYPE_HEARTBEAT)],
  ['request', data(Message.encode(1, Message.TYPE_REQUEST, 0, 'room.join', json('{}')))],
  ['notify', data(Message.encode(0, Message.TYPE_NOTIFY, 0, 'room.message', json('{"content":"hello, world!"}')))],
  ['response', data(Message.encode(1, Message.TYPE_RESPONSE, 0, null, json('{"code":0,"result":"success"}')))],
  ['push', data(Message.encode(0, Message.TYPE_PUSH, 0, 'onMessage', json('{}')))],
  ['push_dict', data(Message.encode(0, Message.TYPE_PUSH, 1, 5, json('{}')))],
  ['handshake_reply',
   Package.encode(Package.TYPE_HANDSHAKE,
                  json(JSON.stringify({ code: 200, sys: { heartbeat: 30, servertime: 1700000000 } })))],
];

const lines = vectors.map(([name, bytes]) => `${name} ${hex(bytes)}`);

const i = process.argv.indexOf('--check');
if (i < 0) {
  console.log(lines.join('\n'));
  process.exit(0);
}

const program = process.argv[i + 1];
if (!program) {
  console.error('usage: node vectors.js [--check PROGRAM]');
  process.exit(1);
}
const { execFileSync } = require('child_process');
const run = (args, input) => {
  try {
    return execFileSync(program, args, { encoding: 'utf8', input }).trim().split('\n');
  } catch (e) {
    console.error(`FAIL: could not run ${program}: ${e.message}`);
    process.exit(1);
  }
};

let failures = 0;
const compare = (what, theirs) => {
  const count = Math.max(lines.length, theirs.length);
  for (let k = 0; k < count; ++k) {
    if (lines[k] === theirs[k]) {
      console.log(`ok   ${what}: ${lines[k]}`);
    } else {
      ++failures;
      console.log(`FAIL ${what}\n     pomelo-protocol: ${lines[k]}\n     hearth:          ${theirs[k]}`);
    }
  }
  return count;
};
const total = compare('encode', run([], '')) + compare('decode+re-encode', run(['--roundtrip'], lines.join('\n') + '\n'));
console.log(failures ? `${failures} of ${total} checks differ` : `all ${total} checks match pomelo-protocol`);
process.exit(failures ? 1 : 0);
