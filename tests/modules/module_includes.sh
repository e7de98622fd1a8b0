#!/usr/bin/env bash
# The module dependency rule, checked on the source tree (ctest: module_includes):
#   rpc <- framework <- {session, cluster} <- app
# - rpc includes no other module; framework includes neither session, cluster nor app;
# - session and cluster never include each other, nor app;
# - X/detail/ headers are private to module X (its own folder and its tests, tests/X/).
# Usage: module_includes.sh ROOT          check ROOT; exit 1 listing every violation
#        module_includes.sh --self-test   check that a tree with violations fails
set -u

check() {
    local root=$1 status=0 hits
    rule() { # folder, forbidden modules (regex)
        [[ -d $root/$1 ]] || return 0
        hits=$(cd "$root" && grep -rnE "#include [\"<]($2)/" "$1" --include='*.hpp' --include='*.cpp' \
            --include='*.in')
        if [[ -n $hits ]]; then
            echo "module rule broken: $1/ may not include $2/:"
            echo "$hits"
            status=1
        fi
    }
    rule rpc "framework|session|cluster|app"
    rule framework "session|cluster|app"
    rule session "cluster|app"
    rule cluster "session|app"
    local m
    for m in rpc framework session cluster app; do
        hits=$(cd "$root" && grep -rnE "#include [\"<]$m/detail/" . --include='*.hpp' --include='*.cpp' \
            --exclude-dir=build --exclude-dir=node_modules --exclude-dir=.git |
            grep -vE "^\./($m|tests/$m)/")
        if [[ -n $hits ]]; then
            echo "module rule broken: $m/detail/ is private to $m/:"
            echo "$hits"
            status=1
        fi
    done
    return $status
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/rpc" "$tmp/session" "$tmp/cluster" "$tmp/app" "$tmp/examples"
    echo '#include "rpc/codec.hpp"' >"$tmp/session/ok.cpp"
    check "$tmp" >/dev/null || { echo "self-test: a clean tree was rejected"; exit 1; }
    for bad in 'rpc/a.hpp:#include "framework/node.hpp"' 'session/b.cpp:#include "cluster/cluster.hpp"' \
        'cluster/c.cpp:#include <session/gate.hpp>' 'cluster/d.hpp:#include "app/application.hpp"' \
        'examples/e.cpp:#include "session/detail/connection.hpp"' 'app/f.cpp:#include "framework/detail/handler.hpp"'; do
        file=${bad%%:*}
        echo "${bad#*:}" >"$tmp/$file"
        if check "$tmp" >/dev/null; then
            echo "self-test: $file (${bad#*:}) was not reported"
            exit 1
        fi
        rm "$tmp/$file"
    done
    echo "self-test: every violation was reported"
    exit 0
fi

check "${1:?usage: module_includes.sh ROOT | --self-test}"
