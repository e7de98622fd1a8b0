#!/usr/bin/env bash
# Hearth as a package, from a consumer's side (ctest: package_test). Reuses the Release build
# it is given (the libraries are already built there):
#  1. `cmake --install BUILD --prefix P`: headers, static libraries, the CMake package; none of
#     Hearth's own warnings, sanitizer flags or source paths in the exported targets;
#     find_package(Hearth 0.2) gives every Hearth:: target, 0.1 and 0.3 are refused.
#  2. The template (examples/standalone) built against P, started on config/single.json (free
#     ports), driven by its Node client (pomelo-protocol over WebSocket), stopped: exit 0.
#  3. docs/getting-started.md, command by command: the .deb from scripts/package.sh (Depends
#     checked with apt-get --simulate, unpacked with dpkg -x into a temporary root instead of
#     installed, so the suite leaves /usr alone; the CMake files are relocatable), the template
#     rebuilt against it (same paths as in 2, so a compiler cache makes it cheap), the
#     three-node config/cluster.json (ports moved to free ones) started with one command, the
#     client, a graceful stop.
#   package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$build/package-test
rm -rf "$work"
mkdir -p "$work"
root=$work/root # the install prefix is $root/usr, the layout of the .deb
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
step() { echo "== $*"; }
fail() {
    echo "FAIL: $*"
    exit 1
}
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
# Moves every port of a template configuration (gate, admin, cluster) to a free one.
free_ports() {
    local file=$1 ports=()
    for _ in 1 2 3 4 5 6 7 8 9 10; do ports+=("$(free_port)"); done
    node - "$file" "${ports[@]}" <<'JS'
const fs = require('fs');
const [file, ...ports] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(file, 'utf8'));
const next = () => Number(ports.shift());
const gate = (g) => { if (g) { g.tcp_port = next(); g.ws_port = next(); } };
gate(c.gate);
if (c.admin && 'port' in c.admin) c.admin.port = next();
for (const n of Object.values(c.nodes || {})) { gate(n.gate); if ('admin_port' in n) n.admin_port = next(); }
for (const n of Object.keys((c.cluster || {}).nodes || {})) c.cluster.nodes[n] = `127.0.0.1:${next()}`;
fs.writeFileSync(file, JSON.stringify(c, null, 2));
JS
}
# The client's npm packages: the ones tests/node/setup.sh installed, when there.
client_modules() {
    [[ -d $src/tests/node/node_modules ]] && ln -sfn "$src/tests/node/node_modules" "$1/client/node_modules"
    return 0
}

step "0. Hearth as a subproject: only the libraries, and none of its build flags on the parent's targets"
mkdir -p "$work/parent"
cat >"$work/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.22)
project(parent LANGUAGES CXX)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
add_subdirectory("$src" hearth)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE Hearth::hearth)
foreach(t hearth_example_chat hearth_test_main hearth_bench_local)
  if(TARGET \${t})
    message(FATAL_ERROR "\${t} is defined in a subproject build")
  endif()
endforeach()
CMAKE
echo '#include "app/application.hpp"' >"$work/parent/main.cpp"
cmake -S "$work/parent" -B "$work/parent/build" -G Ninja -DHEARTH_WERROR=ON >"$work/parent.log" 2>&1 ||
    { cat "$work/parent.log"; fail "configuring a project that adds Hearth with add_subdirectory"; }
node - "$work/parent/build/compile_commands.json" <<'JS' || fail "the subproject's flags"
const cmds = require(process.argv[2]);
const consumer = cmds.find((c) => c.file.endsWith('parent/main.cpp'));
const hearth = cmds.find((c) => c.file.endsWith('framework/node.cpp'));
if (!consumer || !hearth) throw new Error('compile commands missing');
if (!/-Werror/.test(hearth.command)) throw new Error('Hearth itself lost its -Werror');
if (/-W(all|error|extra|pedantic)/.test(consumer.command)) throw new Error(`flags leak: ${consumer.command}`);
if (!/-I\S*/.test(consumer.command)) throw new Error('the consumer has no include path for Hearth');
console.log('subproject: the consumer compiles without Hearth\'s warnings; no tests, benches or examples');
JS

step "1. cmake --install into $root/usr"
cmake --install "$build" --prefix "$root/usr" >"$work/install.log"
for f in include/hearth/app/application.hpp include/hearth/framework/node.hpp include/hearth/session/gate.hpp \
    include/hearth/cluster/cluster.hpp lib/libhearth_app.a lib/cmake/Hearth/HearthConfig.cmake \
    lib/cmake/Hearth/HearthConfigVersion.cmake lib/cmake/Hearth/HearthTargets.cmake; do
    [[ -f $root/usr/$f ]] || fail "not installed: $f"
done
if grep -nE -- "-W(all|error|extra|pedantic)|-fsanitize|$src" "$root"/usr/lib/cmake/Hearth/*.cmake; then
    fail "Hearth's build flags or source paths leak into the exported targets (above)"
fi

mkdir -p "$work/version"
cat >"$work/version/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(version_check LANGUAGES CXX)
find_package(Hearth 0.3 CONFIG QUIET)
if(Hearth_FOUND)
  message(FATAL_ERROR "Hearth 0.3 was requested and 0.2 accepted")
endif()
find_package(Hearth 0.1 CONFIG QUIET)
if(Hearth_FOUND)
  message(FATAL_ERROR "Hearth 0.1 was requested and 0.2 accepted")
endif()
find_package(Hearth 0.2 CONFIG REQUIRED)
foreach(t framework session cluster app hearth rpc)
  if(NOT TARGET Hearth::${t})
    message(FATAL_ERROR "no target Hearth::${t}")
  endif()
endforeach()
message(STATUS "Hearth ${Hearth_VERSION}: every target found")
CMAKE
cmake -S "$work/version" -B "$work/version/build" -DCMAKE_PREFIX_PATH="$root/usr" >"$work/version.log" 2>&1 ||
    { cat "$work/version.log"; fail "find_package version checks"; }
grep "every target found" "$work/version.log"

step "2. the template against the prefix, one node, a real client"
cp -r "$src/examples/standalone" "$work/mygame"
cmake -S "$work/mygame" -B "$work/mygame/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
    -DCMAKE_PREFIX_PATH="$root/usr" >"$work/mygame-configure.log"
cmake --build "$work/mygame/build"
client_modules "$work/mygame"
free_ports "$work/mygame/config/single.json"
"$work/mygame/build/mygame" --config "$work/mygame/config/single.json" --check-config
"$work/mygame/build/mygame" --config "$work/mygame/config/single.json" >"$work/single.log" 2>&1 &
game=$!
trap 'kill -9 $game 2>/dev/null || true' EXIT
(cd "$work/mygame" && timeout 30 node client/client.js config/single.json alice "hello, one node") ||
    { cat "$work/single.log"; fail "the client against one node"; }
kill -TERM $game
wait $game || { cat "$work/single.log"; fail "the single node did not stop cleanly"; }
grep -q "^ready mygame$" "$work/single.log" || fail "no 'ready mygame' line"

step "3. docs/getting-started.md, its commands in order"
rm -rf "$root" "$work/mygame"
mkdir -p "$work/doc"
script=$work/doc/getting-started.sh
{
    cat <<'STUBS'
set -euo pipefail
# The package manager stand-in (see tests/package/package_test.sh): packages must be installed
# already; a .deb is checked with apt-get --simulate and unpacked into $DEB_ROOT.
apt-get() {
    [[ $1 == update ]] && return 0
    [[ $1 == install ]] || { echo "apt-get stand-in: unexpected: $*"; return 1; }
    shift
    local p
    for p in "$@"; do
        case $p in
        -y) ;;
        *.deb)
            command apt-get install --simulate "$p" >"$DEB_ROOT.simulate" 2>&1 ||
                { cat "$DEB_ROOT.simulate"; return 1; }
            dpkg-deb -f "$p" Package Version Depends
            dpkg -x "$p" "$DEB_ROOT"
            export CMAKE_PREFIX_PATH=$DEB_ROOT/usr
            ;;
        *) # (a nodejs build that bundles npm has no npm package: the command is what counts)
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || command -v "$p" >/dev/null ||
                { echo "apt-get stand-in: $p is not installed"; return 1; } ;;
        esac
    done
}
STUBS
    # Each ```sh block, then the test's own step after the one that copies the template.
    awk '/^```sh$/ {inside = 1; next} /^```$/ {if (inside) print "__after_block"; inside = 0; next} inside' \
        "$src/docs/getting-started.md"
} >"$script"
grep -q "examples/standalone" "$script" || fail "the guide no longer copies the template"
after_block() {
    if [[ -f $WORK/mygame/config/cluster.json && ! -f $WORK/mygame/.ports ]]; then
        free_ports "$WORK/mygame/config/cluster.json" && touch "$WORK/mygame/.ports"
        client_modules "$WORK/mygame"
    fi
}
export -f after_block free_port free_ports client_modules
export HEARTH_SRC=$src WORK=$work HEARTH_BUILD_DIR=$build DEB_ROOT=$root src
sed -i 's/^__after_block$/after_block/' "$script"
(cd "$work" && timeout 600 bash -x "$script") >"$work/doc/run.log" 2>&1 ||
    { tail -n 60 "$work/doc/run.log"; fail "a command of docs/getting-started.md failed"; }
grep -q '^onChat {"from":"alice","text":"hello from alice"}$' "$work/doc/run.log" ||
    { tail -n 60 "$work/doc/run.log"; fail "the guide's client saw no onChat push"; }
[[ -f $work/hearth-dev_0.2.0_amd64.deb ]] || fail "scripts/package.sh wrote no hearth-dev_0.2.0_amd64.deb"
echo "package_test: every step passed"
