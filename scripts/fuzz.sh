#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (tests/fuzz/README.md).
#
#   scripts/fuzz.sh TARGET|all SECONDS   fuzz one or every target for SECONDS each
#   scripts/fuzz.sh --replay [TARGET|all] run the committed corpora (regression inputs) once
#   scripts/fuzz.sh --merge [TARGET|all]  minimise tests/fuzz/corpus/TARGET with what fuzzing found
#   scripts/fuzz.sh --seeds               regenerate the seed inputs into tests/fuzz/corpus/
#   scripts/fuzz.sh --list                print the target names
#
# Builds with clang in build/fuzz (HEARTH_FUZZ=ON). Inputs found while fuzzing accumulate in
# build/fuzz/corpus/TARGET; crash, leak and timeout inputs land in build/fuzz/crashes/TARGET/.
# Exits non-zero when any target crashes, reports a sanitizer error, violates a property or
# times out. FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS="-runs=10000000").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

targets=(packet_decoder message handshake inflate gate_options gate_connection
         cluster_frame cluster_handshake cluster_config cluster_link admin_http)
build="$hearth_root/build/fuzz"
src="$hearth_root/tests/fuzz"

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

pick() {  # pick NAME|all -> the list of targets
    if [[ "${1:-all}" == all ]]; then
        echo "${targets[@]}"
    elif [[ " ${targets[*]} " == *" $1 "* ]]; then
        echo "$1"
    else
        echo "unknown fuzz target '$1' (one of: ${targets[*]})" >&2
        exit 2
    fi
}

build_targets() {
    hearth_install_packages "${hearth_apt_packages[@]}" "${hearth_fuzz_packages[@]}"
    if [[ ! -f "$build/CMakeCache.txt" ]]; then
        CXX=clang++ cmake -S "$hearth_root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DHEARTH_FUZZ=ON -DHEARTH_WERROR=ON >/dev/null
    fi
    local names=()
    for t in "$@"; do names+=("fuzz_$t"); done
    cmake --build "$build" -j "$(nproc)" --target "${names[@]}"
}

# The flags every run shares: the target's dictionary, a per-input time limit (hangs are
# failures), a memory limit, sanitizer options that make every report fatal.
common_flags() {
    local t="$1"
    local flags=(-timeout=20 -rss_limit_mb=2560 -print_final_stats=1)
    [[ -f "$src/dict/$t.dict" ]] && flags+=("-dict=$src/dict/$t.dict")
    echo "${flags[@]}"
}
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

fuzz() {  # fuzz TARGET SECONDS
    local t="$1" seconds="$2"
    mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$src/corpus/$t"
    echo "== fuzz $t for ${seconds}s"
    # The first directory receives new inputs; the committed corpus is read as seeds.
    # shellcheck disable=SC2046,SC2086
    "$build/tests/fuzz/fuzz_$t" $(common_flags "$t") ${FUZZ_ARGS:-} -max_total_time="$seconds" \
        -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "$src/corpus/$t"
}

replay() {  # replay TARGET: every committed input once
    local t="$1"
    local inputs=("$src/corpus/$t"/*)
    [[ -e "${inputs[0]}" ]] || { echo "== replay $t: no corpus"; return 0; }
    echo "== replay $t (${#inputs[@]} inputs)"
    # shellcheck disable=SC2046
    "$build/tests/fuzz/fuzz_$t" $(common_flags "$t") -runs=0 "$src/corpus/$t"
}

merge() {  # merge TARGET: the smallest set of inputs covering committed + found
    local t="$1" tmp
    tmp="$(mktemp -d)"
    mkdir -p "$build/corpus/$t"
    # shellcheck disable=SC2046
    "$build/tests/fuzz/fuzz_$t" $(common_flags "$t") -merge=1 "$tmp" "$src/corpus/$t" "$build/corpus/$t"
    # Inputs that once failed stay under their names, whatever coverage says.
    find "$src/corpus/$t" -maxdepth 1 -name 'regression-*' -exec cp {} "$tmp/" \;
    rm -rf "$src/corpus/$t"
    mv "$tmp" "$src/corpus/$t"
    echo "== merge $t: $(ls "$src/corpus/$t" | wc -l) inputs"
}

mode=fuzz
case "${1:-}" in
    --replay) mode=replay; shift ;;
    --merge) mode=merge; shift ;;
    --seeds) mode=seeds; shift ;;
    --list) echo "${targets[@]}"; exit 0 ;;
    ""|-h|--help) usage ;;
esac

status=0
case "$mode" in
    seeds)
        build_targets make_seeds
        "$build/tests/fuzz/fuzz_make_seeds" "$src/corpus"
        ;;
    fuzz)
        [[ $# -eq 2 ]] || usage
        read -ra list <<<"$(pick "$1")"
        ((${#list[@]})) || exit 2
        build_targets "${list[@]}"
        for t in "${list[@]}"; do fuzz "$t" "$2" || { echo "!! fuzz $t failed: see $build/crashes/$t/"; status=1; }; done
        ;;
    replay | merge)
        read -ra list <<<"$(pick "${1:-all}")"
        ((${#list[@]})) || exit 2
        build_targets "${list[@]}"
        for t in "${list[@]}"; do "$mode" "$t" || { echo "!! $mode $t failed"; status=1; }; done
        ;;
esac
exit $status
