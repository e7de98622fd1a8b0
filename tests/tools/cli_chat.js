#!/usr/bin/env node
// hearth-cli connect driving the chat example (hearth_example_chat on free ports) over TCP and
// WebSocket, next to a pomelo-protocol client (npm; a client nobody here wrote) in the same room:
// handshake (heartbeat, dict), join (request/response), pushes with dictionary routes both ways,
// notify, error responses, staying connected across many heartbeat intervals, script waits
// (wait-push, wait-kick) and their timeouts, the shutdown kick, and the exit statuses.
//
//   node cli_chat.js PATH/TO/hearth-cli PATH/TO/hearth_example_chat
//
// Exit 0 pass, 1 fail, 77 skipped (npm packages missing: run tests/node/setup.sh).
'use strict';

process.noDeprecation = true;
try {
  require.resolve('../node/node_modules/pomelo-protocol');
  require.resolve('../node/node_modules/ws');
} catch (e) {
  console.log('SKIP: npm packages missing; run tests/node/setup.sh');
  process.exit(77);
}
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Package, Client, startServer, withDeadline, HEARTBEAT_MS, dict } = require('../node/harness');
const { CliClient, runCli, freePort } = require('./cli_driver');

const [cli, program] = process.argv.slice(2);
if (!cli || !program) {
  console.error('usage: node cli_chat.js PATH/TO/hearth-cli PATH/TO/hearth_example_chat');
  process.exit(1);
}

async function main() {
  const server = startServer(program);
  const clients = [];
  let failed = false;
  let keep;
  try {
    const addr = await server.addresses;
    const urls = { tcp: `tcp://${addr.host}:${addr.port}`, ws: addr.ws };

    // A pomelo-protocol client in the room, answering heartbeats as real clients do.
    const p = new Client('tcp', addr, 'pomelo');
    await p.handshake();
    keep = setInterval(() => p.heartbeatBack(), HEARTBEAT_MS / 2);
    let r = await p.request('room.join', { name: 'pomelo' }, false);
    assert.deepStrictEqual(r.json, { code: 0, result: 'success' });

    for (const transport of ['tcp', 'ws']) {
      const nick = `cli-${transport}`;
      const c = new CliClient(cli, [urls[transport], '--user', '{"token":"t"}'], nick);
      clients.push(c);
      const hello = await c.waitFor((e) => e.type === 'connected', 'the handshake');
      assert.strictEqual(hello.url, urls[transport]);
      assert.strictEqual(hello.heartbeat, HEARTBEAT_MS / 1000);
      assert.deepStrictEqual(hello.dict, dict);

      // join: the response carries the request's route and id; the pushes come with their
      // routes decoded from the dictionary codes the gate sends.
      c.send(`request room.join {"name":"${nick}"}`);
      const joined = await c.response('room.join');
      assert.strictEqual(joined.ok, true);
      assert.strictEqual(joined.id, 1);
      assert.deepStrictEqual(joined.body, { code: 0, result: 'success' });
      const members = await c.push('onMembers');
      assert.ok(members.body.members.includes(nick) && members.body.members.includes('pomelo'));
      const seen = await p.push('onNewUser', (m) => m.content === `New user: ${nick}`);
      assert.strictEqual(seen.compressed, true);
      console.log(`ok ${transport}: handshake, join, onMembers push (dictionary route)`);

      // message: a notify from the cli reaches the pomelo client and comes back to the cli.
      c.send(`notify room.message {"name":"${nick}","content":"hello from ${nick}"}`);
      await p.push('onMessage', (m) => m.content === `hello from ${nick}`);
      await c.push('onMessage', (m) => m.content === `hello from ${nick}`);
      // and a notify from the pomelo client is pushed to the cli
      p.notify('room.message', { name: 'pomelo', content: `hi ${nick}` }, true);
      await c.push('onMessage', (m) => m.content === `hi ${nick}` && m.name === 'pomelo');
      console.log(`ok ${transport}: notify, onMessage pushes both ways`);

      // A request route the dictionary knows (hearth-cli sends its code); the gate answers it.
      c.send(`request room.message {"name":"${nick}","content":"as a request"}`);
      assert.strictEqual((await c.response('room.message')).id, 2);
      await p.push('onMessage', (m) => m.content === 'as a request');
      // Every request is answered: an unknown route is an error response (ok false).
      c.send('request nosuch.method {}');
      const missing = await c.response('nosuch.method');
      assert.strictEqual(missing.ok, false);
      assert.strictEqual(missing.body.code, 'not_found');
      console.log(`ok ${transport}: a request on a dictionary route, error response`);
    }

    // Idle across many heartbeat intervals: the gate closes a client silent for 2 x heartbeat,
    // so the cli clients are still there only because they send heartbeats. Wait for the
    // pomelo client to see 6 server heartbeats (2.4 s, 6 intervals), then use both.
    p.heartbeats = 0;
    await p.waitFor((e) => e.type === Package.TYPE_HEARTBEAT && p.heartbeats >= 6, '6 server heartbeats', 10000);
    for (const c of clients) {
      c.send('request room.message {"name":"x","content":"still here"}');
      assert.strictEqual((await c.response('room.message')).ok, true);
    }
    console.log('ok the cli clients stay connected across 6 heartbeat intervals');

    // Script waits: wait-push takes a push already printed (pushes are queued for it), and a
    // wait-push that nothing satisfies fails with status 3 at its own timeout.
    const scripted = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-cli-')), 'script.txt');
    fs.writeFileSync(scripted, [
      '# a comment, then a blank line',
      '',
      'request room.join {"name":"script"}',
      'wait-push onMembers',
      'notify room.message {"name":"script","content":"from a script"}',
      'wait-push onMessage 5',
    ].join('\n'));
    let run;
    for (const url of [urls.tcp, urls.ws]) {  // input ends: a clean close (a close frame on ws), status 0
      run = await runCli(cli, ['connect', url, '--script', scripted]);
      assert.strictEqual(run.code, 0, run.stderr);
      assert.strictEqual(run.stderr, '');
      const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepStrictEqual(lines.map((e) => e.type).filter((t) => t !== 'push'), ['connected', 'response']);
      assert.ok(lines.some((e) => e.type === 'push' && e.route === 'onMessage' && e.body.content === 'from a script'));
      await p.push('onMessage', (m) => m.content === 'from a script');
    }
    fs.writeFileSync(scripted, 'wait-push onNothing 0.3\nrequest room.join {}\n');
    run = await runCli(cli, ['connect', urls.ws, '--script', scripted]);
    assert.strictEqual(run.code, 3, run.stderr);
    assert.match(run.stderr, /no push onNothing within 0.3 s/);
    assert.ok(!run.stdout.includes('"response"'), 'the script stops at the failed wait');
    fs.writeFileSync(scripted, 'request room.join {"name":\n');
    run = await runCli(cli, ['connect', urls.tcp, '--script', scripted]);
    assert.strictEqual(run.code, 2, run.stderr);
    assert.match(run.stderr, /not valid JSON/);
    console.log('ok scripts: wait-push, its timeout (status 3), a bad line (status 2)');

    // Connection errors: nothing listening (status 1); a WebSocket URL on the gate's plain TCP
    // port (the gate upgrades on any path of its WebSocket port, so no path there fails).
    const dead = await freePort();
    const refused = new CliClient(cli, [`tcp://127.0.0.1:${dead}`, '--timeout', '2'], 'refused');
    clients.push(refused);  // its standard input stays open: it must exit anyway
    assert.strictEqual(await refused.exit(5000), 1);
    assert.match(refused.stderr, /cannot connect to tcp:\/\/127.0.0.1/);
    clients.pop();
    run = await runCli(cli, ['connect', `${urls.tcp.replace('tcp://', 'ws://')}/ws`, '--timeout', '2']);
    assert.strictEqual(run.code, 1);
    run = await runCli(cli, ['connect', 'udp://127.0.0.1:1']);
    assert.strictEqual(run.code, 2);
    run = await runCli(cli, ['connect', urls.tcp, '--no-such-flag']);
    assert.strictEqual(run.code, 2);
    console.log('ok connection and usage errors (status 1, 2)');

    // The server shuts down: the tcp cli waits for the kick (exit 0), the ws cli does not
    // (exit 4, kicked); both print the kick with its reason.
    const [tcpCli, wsCli] = clients;
    tcpCli.send('wait-kick 10');
    server.child.kill('SIGTERM');
    for (const c of clients) {
      const k = await c.waitFor((e) => e.type === 'kick', 'the shutdown kick');
      assert.strictEqual(k.reason, 'server shutting down');
    }
    assert.strictEqual(await tcpCli.exit(), 0, tcpCli.stderr);
    assert.strictEqual(await wsCli.exit(), 4, wsCli.stderr);
    assert.match(wsCli.stderr, /kicked this client \(server shutting down\)/);
    console.log('ok shutdown kick: wait-kick exits 0, an unexpected kick exits 4');
    const code = await withDeadline(new Promise((resolve) => {
      if (server.child.exitCode !== null) resolve(server.child.exitCode);
      else server.child.on('exit', resolve);
    }), 10000, 'the server exit');
    assert.strictEqual(code, 0);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
    for (const c of clients) if (c.stderr) console.error(`${c.name} stderr: ${c.stderr}`);
  } finally {
    clearInterval(keep);
    for (const c of clients) c.kill();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  process.exit(failed ? 1 : 0);
}

main();
