#!/usr/bin/env bash
# The module dependency rule, checked on the source tree (ctest: module_includes):
#   rpc <- framework <- {session, cluster} <- app
# - rpc includes no other module; framework includes neither session, cluster nor app;
# - session and cluster never include each other, nor app;
# - X/detail/ headers are private to module X (its own folder and its tests, tests/X/);
# - an include names its module from the root ("session/ref.hpp"): no "../", so no path
#   can slip past the rules above.
# Every C++ file counts (.hpp .h .ipp .cpp .cc .in), and `#  include <x>` as much as `#include "x"`.
# Usage: module_includes.sh ROOT          check ROOT; exit 1 listing every violation
#        module_includes.sh --self-test   check that a tree with violations fails
set -u

check() {
    local root=$1 status=0 hits
    local inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]'
    local files=(--include='*.hpp' --include='*.h' --include='*.ipp' --include='*.cpp' --include='*.cc'
        --include='*.in')
    local skip=(--exclude-dir=build --exclude-dir=node_modules --exclude-dir=.git)
    rule() { # folder, forbidden modules (regex)
        [[ -d $root/$1 ]] || return 0
        hits=$(cd "$root" && grep -rnE "$inc($2)/" "$1" "${files[@]}")
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
        hits=$(cd "$root" && grep -rnE "$inc$m/detail/" . "${files[@]}" "${skip[@]}" |
            grep -vE "^\./($m|tests/$m)/")
        if [[ -n $hits ]]; then
            echo "module rule broken: $m/detail/ is private to $m/:"
            echo "$hits"
            status=1
        fi
    done
    hits=$(cd "$root" && grep -rnE "$inc[^\">]*\.\./" . "${files[@]}" "${skip[@]}")
    if [[ -n $hits ]]; then
        echo "module rule broken: an include names its module from the root, not with ../:"
        echo "$hits"
        status=1
    fi
    return $status
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/rpc" "$tmp/framework" "$tmp/session" "$tmp/cluster" "$tmp/app" "$tmp/examples" "$tmp/tests/session"
    echo '#include "rpc/codec.hpp"' >"$tmp/session/ok.cpp"
    echo '#include "session/detail/connection.hpp"' >"$tmp/tests/session/ok.cpp"
    echo '#include <vector>' >"$tmp/framework/ok.hpp"
    check "$tmp" >/dev/null || { echo "self-test: a clean tree was rejected"; exit 1; }
    for bad in 'rpc/a.hpp:#include "framework/node.hpp"' 'session/b.cpp:#include "cluster/cluster.hpp"' \
        'cluster/c.cpp:#include <session/gate.hpp>' 'cluster/d.hpp:#include "app/application.hpp"' \
        'examples/e.cpp:#include "session/detail/connection.hpp"' 'app/f.cpp:#include "framework/detail/handler.hpp"' \
        'framework/g.hpp:#  include <session/ref.hpp>' 'rpc/h.h:#include "cluster/frame.hpp"' \
        'cluster/i.ipp:#include "framework/detail/message.hpp"' 'session/j.cpp:#include "../cluster/frame.hpp"' \
        'tests/session/k.cpp:#include "cluster/detail/send_queue.hpp"' 'framework/l.cpp:#include "app/config.hpp"'; do
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
