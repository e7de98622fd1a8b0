#!/usr/bin/env bash
# The command line of programs built on hearth::app (ctest: app_cli_test), with the examples:
# --version, --help, unknown flags, --check-config (0, or 2 listing every problem), --print-config
# (secrets masked), a single node started and stopped by POST /shutdown (exit 0), a port in use
# (exit 1), and the launcher (both nodes of a config as children, prefixed output, SIGTERM
# forwarded, exit 0).
#   cli_test.sh PATH/hearth_example_cluster PATH/hearth_example_chat SOURCE_DIR
set -u
cluster_exe=$1 chat_exe=$2 src=$3
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_status() { # want, got, what
    [[ $2 -eq $1 ]] || fail "$3: exit status $2, expected $1"
}
expect_text() { # file, fixed text, what
    grep -qF -- "$2" "$1" || { fail "$3: '$2' not in $1:"; sed 's/^/  | /' "$1"; }
}
# Waits (polling, at most $3 seconds) until file $1 has a line matching regex $2.
wait_line() {
    local deadline=$((SECONDS + $3))
    until grep -qE -- "$2" "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}
# http METHOD URL [TOKEN]: the response body on stdout; fails on a status other than 2xx.
http() {
    node - "$@" <<'JS'
const [method, url, token] = process.argv.slice(2);
const req = require('http').request(url, { method, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
  res.pipe(process.stdout);
  res.on('end', () => process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1));
});
req.on('error', (e) => { console.error(e.message); process.exit(1); });
req.end();
JS
}
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# --version, --help, an unknown flag, a missing value.
"$cluster_exe" --version >"$tmp/out" 2>&1
expect_status 0 $? "--version"
expect_text "$tmp/out" "hearth_example_cluster 0.2.0" "--version"
"$chat_exe" --help >"$tmp/out" 2>&1
expect_status 0 $? "--help"
for flag in --config --node --cluster --admin-port --log-level --check-config --print-config --tcp-port --ws-port --host; do
    expect_text "$tmp/out" "$flag" "--help lists $flag"
done
"$chat_exe" --no-such-flag >"$tmp/out" 2>&1
expect_status 2 $? "an unknown flag"
expect_text "$tmp/out" "--no-such-flag" "an unknown flag is named"
"$cluster_exe" --admin-port >"$tmp/out" 2>&1
expect_status 2 $? "a flag without its value"

# --check-config: the shipped configurations are valid.
"$cluster_exe" --check-config >"$tmp/out" 2>&1
expect_status 0 $? "--check-config on examples/cluster/config.json"
expect_text "$tmp/out" "is valid (4 nodes)" "--check-config"
"$cluster_exe" --check-config --node game-3 --cluster "$src/examples/cluster/add-game-3.json" >"$tmp/out" 2>&1
expect_status 0 $? "--check-config --node game-3 --cluster add-game-3.json"
"$chat_exe" --check-config >"$tmp/out" 2>&1
expect_status 0 $? "--check-config on the chat's built-in config"

# --check-config: every problem listed (unknown service, bad address, missing section, wrong type).
cat >"$tmp/bad.json" <<'JSON'
{
  "admin": { "address": "localhost", "token": "t" },
  "nodes": {
    "gate-1": { "admin_port": 9101, "threads": "two", "gate": { "host": "127.0.0.1", "tcp_port": 3250 } },
    "game-1": { "admin_port": 9201, "services": ["room", "lobby"] }
  }
}
JSON
"$cluster_exe" --config "$tmp/bad.json" --check-config >"$tmp/out" 2>&1
expect_status 2 $? "--check-config on a bad file"
expect_text "$tmp/out" "'nodes.game-1.services[1]' names the service \"lobby\", which this program does not register" "unknown service"
expect_text "$tmp/out" "'admin.address' must be an IPv4 or IPv6 address" "bad address"
expect_text "$tmp/out" "Missing section 'cluster'" "missing section"
expect_text "$tmp/out" "'nodes.gate-1.threads' must be an integer" "wrong type"
expect_text "$tmp/out" "4 configuration problems in $tmp/bad.json" "the count"
echo '{"nodes": ' >"$tmp/broken.json"
"$cluster_exe" --config "$tmp/broken.json" >"$tmp/out" 2>&1
expect_status 2 $? "invalid JSON"
expect_text "$tmp/out" "$tmp/broken.json is not valid JSON" "invalid JSON"

# --print-config: the effective configuration, secrets masked.
"$cluster_exe" --print-config --log-level debug >"$tmp/out" 2>&1
expect_status 0 $? "--print-config"
expect_text "$tmp/out" '"secret": "***"' "--print-config masks the cluster secret"
expect_text "$tmp/out" '"token": "***"' "--print-config masks the admin token"
expect_text "$tmp/out" '"log_level": "debug"' "--print-config shows the overrides"
grep -qE "change-me-too|hearth-demo-token" "$tmp/out" && fail "--print-config shows a secret"

# One node: addresses, ready, POST /shutdown, exit 0.
cat >"$tmp/chat.json" <<'JSON'
{ "node": { "name": "chat", "threads": 2, "log_level": "warn" },
  "admin": { "token": "tok" },
  "gate": { "tcp_port": 0, "ws_port": 0 } }
JSON
"$chat_exe" --config "$tmp/chat.json" --admin-port 0 >"$tmp/chat.out" 2>"$tmp/chat.err" &
chat=$!
pids+=($chat)
if wait_line "$tmp/chat.out" "^ready chat$" 10; then
    grep -qE '^admin http://127\.0\.0\.1:[0-9]+$' "$tmp/chat.out" || fail "no admin line"
    grep -qE '^tcp://127\.0\.0\.1:[0-9]+$' "$tmp/chat.out" || fail "no tcp line"
    grep -qE '^ws://127\.0\.0\.1:[0-9]+/ws$' "$tmp/chat.out" || fail "no ws line"
    grep -qE '^http://127\.0\.0\.1:[0-9]+/$' "$tmp/chat.out" || fail "no http line"
    admin=$(sed -n 's/^admin //p' "$tmp/chat.out")
    http=$(grep -E '^http://' "$tmp/chat.out")
    http GET "$http" | grep -q "<html" || fail "the chat page is not served at $http"
    http POST "$admin/shutdown" tok >/dev/null || fail "POST /shutdown"
    timeout 10 tail --pid=$chat -f /dev/null
    wait $chat
    expect_status 0 $? "a node stopped by POST /shutdown"
else
    fail "the chat node did not print 'ready chat'"
    cat "$tmp/chat.out" "$tmp/chat.err"
fi

# A port in use is a runtime failure: exit 1, naming the address.
node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => console.log(s.address().port))' >"$tmp/busy" &
pids+=($!)
wait_line "$tmp/busy" "^[0-9]+$" 5 || fail "no busy port"
busy=$(cat "$tmp/busy")
"$chat_exe" --config "$tmp/chat.json" --tcp-port "$busy" >"$tmp/out" 2>&1
expect_status 1 $? "a gate port in use"
expect_text "$tmp/out" "$busy" "the busy port is named"

# The launcher: two nodes as children, output prefixed, SIGTERM forwarded, exit 0.
c1=$(free_port) c2=$(free_port)
cat >"$tmp/two.json" <<JSON
{ "admin": { "token": "tok" },
  "node": { "threads": 1, "log_level": "warn" },
  "nodes": {
    "gate-1": { "admin_port": 0, "gate": { "tcp_port": 0, "ws_port": -1 } },
    "game-1": { "admin_port": 0, "services": ["room"] } },
  "cluster": { "cluster": "cli-test", "secret": "s", "heartbeat_ms": 200,
               "nodes": { "gate-1": "127.0.0.1:$c1", "game-1": "127.0.0.1:$c2" } } }
JSON
"$cluster_exe" --config "$tmp/two.json" >"$tmp/all.out" 2>"$tmp/all.err" &
all=$!
pids+=($all)
if wait_line "$tmp/all.out" "^\[gate-1\] ready gate-1$" 10 && wait_line "$tmp/all.out" "^\[game-1\] ready game-1$" 10; then
    expect_text "$tmp/all.out" "[gate-1] cluster 127.0.0.1:$c1" "prefixed cluster line"
    expect_text "$tmp/all.out" "[game-1] cluster 127.0.0.1:$c2" "prefixed cluster line"
    grep -qE '^\[gate-1\] tcp://127\.0\.0\.1:[0-9]+$' "$tmp/all.out" || fail "prefixed tcp line"
    expect_text "$tmp/all.err" "started gate-1 (pid" "launcher message"
    kill -TERM $all
    timeout 15 tail --pid=$all -f /dev/null
    wait $all
    expect_status 0 $? "the launcher after SIGTERM"
    expect_text "$tmp/all.err" "gate-1 exited with status 0" "gate-1 stopped cleanly"
    expect_text "$tmp/all.err" "game-1 exited with status 0" "game-1 stopped cleanly"
else
    fail "the launched nodes did not print ready"
    cat "$tmp/all.out" "$tmp/all.err"
fi

if ((failures)); then
    echo "$failures failure(s)"
    exit 1
fi
echo "all command-line checks passed"
