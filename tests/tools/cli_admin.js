#!/usr/bin/env node
// hearth-cli admin: the README's curl walkthrough against the cluster example (a gate node and
// a game node of hearth_example_cluster on free ports): cluster, reload --dry-run, reload,
// sessions, kick (of a hearth-cli connect client, which sees the kick and its reason), metrics,
// log-level and shutdown; readable output and --json; non-2xx answers and a missing token.
//
//   node cli_admin.js PATH/TO/hearth-cli PATH/TO/hearth_example_cluster
//
// Exit 0 pass, 1 fail.
'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { CliClient, runCli, freePort, eventually, withDeadline } = require('./cli_driver');

const [cli, program] = process.argv.slice(2);
if (!cli || !program) {
  console.error('usage: node cli_admin.js PATH/TO/hearth-cli PATH/TO/hearth_example_cluster');
  process.exit(1);
}
const TOKEN = 'cli-test-token';
const env = { ...process.env, HEARTH_ADMIN_TOKEN: TOKEN };
const dict = { 'room.join': 1, 'room.message': 2, onMessage: 3, onNewUser: 4, onMembers: 5, onLeave: 6 };

// One node of the cluster example; resolves its printed addresses once it says "ready NAME".
function startNode(config, name) {
  const child = spawn(program, ['--config', config, '--node', name, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes(`ready ${name}\n`)) return;
      const admin = out.match(/^admin (http:\/\/[\d.]+:\d+)$/m);
      const tcp = out.match(/^(tcp:\/\/[\d.]+:\d+)$/m);
      const ws = out.match(/^(ws:\/\/[\d.]+:\d+\/ws)$/m);
      resolve({ admin: admin && admin[1], tcp: tcp && tcp[1], ws: ws && ws[1] });
    });
    child.on('exit', (code) => reject(new Error(`${name} exited early with ${code}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, ready: withDeadline(ready, 15000, `${name} ready`), exited };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-cli-admin-'));
  const [gatePort, gamePort, game3Port] = [await freePort(), await freePort(), await freePort()];
  const cluster = {
    cluster: 'cli-test', secret: 's3cret', heartbeat_ms: 200,
    nodes: { 'gate-1': `127.0.0.1:${gatePort}`, 'game-1': `127.0.0.1:${gamePort}` },
  };
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    admin: { address: '127.0.0.1', token: TOKEN, open_reads: false },
    nodes: {
      'gate-1': { admin_port: 0, threads: 2,
        gate: { host: '127.0.0.1', tcp_port: 0, ws_port: 0, ws_path: '/ws', heartbeat_ms: 400, dict } },
      'game-1': { admin_port: 0, threads: 1, services: ['room'] },
    },
    cluster,
  }));
  const addGame3 = path.join(dir, 'add-game-3.json');
  fs.writeFileSync(addGame3, JSON.stringify({ ...cluster, nodes: { ...cluster.nodes, 'game-3': `127.0.0.1:${game3Port}` } }));

  const nodes = [startNode(config, 'gate-1'), startNode(config, 'game-1')];
  const clients = [];
  let failed = false;
  try {
    const [gate, game] = await Promise.all(nodes.map((n) => n.ready));
    const admin = (...args) => runCli(cli, ['admin', gate.admin, ...args], env);
    const adminJson = async (...args) => {
      const r = await admin(...args, '--json');
      assert.strictEqual(r.code, 0, `admin ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };

    // cluster: game-1 comes up; the readable table shows it.
    await eventually(async () => (await adminJson('cluster')).nodes.some((n) => n.name === 'game-1' && n.state === 'up'),
      'game-1 up in GET /cluster', 10000);
    let r = await admin('cluster');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^cluster cli-test as seen by gate-1/);
    assert.match(r.stdout, /^game-1 +up +127\.0\.0\.1:\d+ .*ping,room +up, queued 0/m);
    assert.match(r.stdout, /^gate-1 +self /m);
    console.log('ok admin cluster (readable and --json)');

    // Two game clients through the gate, joined to the room that runs on game-1.
    for (const url of [gate.tcp, gate.ws]) {
      const c = new CliClient(cli, [url], url.split(':')[0], env);
      clients.push(c);
      await c.waitFor((e) => e.type === 'connected', 'the handshake');
      c.send(`request room.join {"name":"${c.name}"}`);
      assert.deepStrictEqual((await c.response('room.join')).body, { code: 0, result: 'success' });
    }
    const [tcpClient, wsClient] = clients;
    await tcpClient.push('onNewUser', (m) => m.content === 'New user: ws');
    tcpClient.send('notify room.message {"name":"tcp","content":"through the cluster"}');
    await wsClient.push('onMessage', (m) => m.content === 'through the cluster');
    console.log('ok two hearth-cli clients chat through gate-1 and game-1');

    // reload --dry-run changes nothing; reload applies; the same file again changes nothing.
    r = await admin('reload', addGame3, '--dry-run');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dry run: this reload would change the cluster/);
    assert.match(r.stdout, new RegExp(`added: +game-3 127\\.0\\.0\\.1:${game3Port}`));
    let body = await adminJson('reload', addGame3, '--dry-run');
    assert.strictEqual(body.dry_run, true);
    assert.deepStrictEqual(body.added, [{ node: 'game-3', address: `127.0.0.1:${game3Port}` }]);
    assert.ok(!(await adminJson('cluster')).nodes.some((n) => n.name === 'game-3'), 'a dry run changes nothing');
    r = await admin('reload', addGame3);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied /);
    assert.ok((await adminJson('cluster')).nodes.some((n) => n.name === 'game-3' && n.configured));
    body = await adminJson('reload', addGame3);
    assert.strictEqual(body.applied, false);
    assert.deepStrictEqual(body.added, []);
    r = await admin('reload', path.join(dir, 'no-such-file.json'));
    assert.strictEqual(r.code, 2);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"cluster": 5}');
    r = await admin('reload', path.join(dir, 'bad.json'));
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /POST \/cluster\/reload: 400 Bad Request: .*The running configuration is unchanged\./);
    console.log('ok admin reload --dry-run, reload, idempotent reload, a 400');

    // sessions, then kick the tcp client through the admin route: it sees the kick and reason.
    body = await adminJson('sessions');
    assert.strictEqual(body.total, 2);
    const ids = body.items.map((s) => s.id);
    r = await admin('sessions');
    assert.match(r.stdout, /^gate 'gate' on gate-1: 2 session\(s\), showing 1-2$/m);
    for (const id of ids) assert.match(r.stdout, new RegExp(`^${id} +game-1-\\d+ +\\d`, 'm'));
    // Which session is the tcp client's? Kick the first one and see who gets it.
    for (const c of clients) c.send('wait-kick 10');
    r = await admin('kick', ids[0], 'cheating');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, `kicked session ${ids[0]}: cheating\n`);
    const waits = clients.map((c) => c.waitFor((e) => e.type === 'kick' && e.reason === 'cheating', 'the admin kick', 5000)
      .then((e) => ({ c, e })));
    waits.forEach((w) => w.catch(() => {}));  // the other client's wait ends with its own exit
    const kicked = await Promise.race(waits);
    assert.strictEqual(kicked.e.reason, 'cheating');
    assert.strictEqual(await kicked.c.exit(), 0, kicked.c.stderr);
    const survivor = clients.find((c) => c !== kicked.c);
    await eventually(async () => (await adminJson('sessions')).total === 1, 'one session left');
    r = await admin('kick', ids[0]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, new RegExp(`POST /sessions/${ids[0]}/kick: 404 Not Found`));
    r = await admin('kick', 'abc');
    assert.strictEqual(r.code, 2);
    console.log('ok admin sessions, kick (the client prints the reason), kick of a gone session (404)');

    // metrics, log-level
    r = await admin('metrics');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hearth_cluster_reloads_total 1$/m);
    assert.match(r.stdout, /^hearth_gate_kicked_total\{gate="gate"\} 1$/m);
    r = await admin('log-level', 'debug');
    assert.strictEqual(r.stdout, 'log level set to debug\n');
    assert.strictEqual((await adminJson('node')).log_level, 'debug');
    r = await admin('log-level', 'loud');
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /PUT \/log-level: 400 Bad Request: 'loud' is not a log level\./);
    console.log('ok admin metrics, log-level');

    // The token: --token overrides the environment; none is a 401, a wrong one a 403.
    r = await runCli(cli, ['admin', gate.admin, 'cluster'], { ...process.env, HEARTH_ADMIN_TOKEN: '' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /GET \/cluster: 401 Unauthorized/);
    r = await runCli(cli, ['admin', gate.admin, '--token', 'wrong', 'cluster'], env);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /403 Forbidden/);
    r = await runCli(cli, ['admin', game.admin, 'health', '--token', TOKEN], { ...process.env, HEARTH_ADMIN_TOKEN: '' });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^status: ok$/m);
    r = await runCli(cli, ['admin', `http://127.0.0.1:${await freePort()}`, 'cluster'], env);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /cannot connect/);
    console.log('ok admin token from the environment or --token; 401, 403, unreachable');

    // shutdown: the gate kicks the remaining client and exits 0; then game-1.
    r = await admin('shutdown');
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, 'the node is shutting down\n');
    const k = await survivor.waitFor((e) => e.type === 'kick', 'the shutdown kick');
    assert.strictEqual(k.reason, 'server shutting down');
    assert.strictEqual(await survivor.exit(), 0, survivor.stderr);
    assert.strictEqual(await withDeadline(nodes[0].exited, 15000, 'gate-1 exit'), 0);
    r = await runCli(cli, ['admin', game.admin, 'shutdown'], env);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(await withDeadline(nodes[1].exited, 15000, 'game-1 exit'), 0);
    console.log('ok admin shutdown (the gate kicks its clients, both nodes exit 0)');
  } catch (e) {
    failed = true;
    console.error('FAIL:', e && e.stack ? e.stack : e);
    for (const c of clients) if (c.stderr) console.error(`${c.name} stderr: ${c.stderr}`);
  } finally {
    for (const c of clients) c.kill();
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
