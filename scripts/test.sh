#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Hearth and runs the whole test suite three times:
# in a GCC Release build with warnings as errors, in a GCC address+undefined sanitizer build,
# and in a clang Release build with warnings as errors (the second compiler). Then it replays
# the committed fuzz corpora and runs every fuzz target briefly (tests/fuzz/README.md).
# Exits non-zero on any failure. FUZZ_SECONDS sets the time per fuzz target (default 10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
hearth_install_packages "${hearth_apt_packages[@]}" "${hearth_test_packages[@]}"
hearth_install_npm
[[ -x "$hearth_root/tests/node/setup.sh" ]] && "$hearth_root/tests/node/setup.sh"

jobs="$(nproc)"
status=0

echo "== Release build and tests"
hearth_build "$hearth_root/build/test-release" -DCMAKE_BUILD_TYPE=Release -DHEARTH_WERROR=ON
(cd "$hearth_root/build/test-release" && ctest --output-on-failure -j "$jobs" --timeout 300) || status=1

echo "== Sanitizer (address+undefined) build and tests"
# -O1 -g1: what the sanitizers need for useful reports, at a fraction of -O2 -g's compile time.
hearth_build "$hearth_root/build/test-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DHEARTH_SANITIZE=ON -DHEARTH_WERROR=ON -DHEARTH_BUILD_BENCH=OFF
(cd "$hearth_root/build/test-sanitize" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j "$jobs" --timeout 600) || status=1

echo "== clang Release build and tests"
# The package test (install, template, .deb) runs once, in the GCC Release build above; the
# benchmarks are built once too (GCC Release), to keep the suite within its time budget.
CXX=clang++ hearth_build "$hearth_root/build/clang" -DCMAKE_BUILD_TYPE=Release -DHEARTH_WERROR=ON -DHEARTH_INSTALL=OFF \
    -DHEARTH_BUILD_BENCH=OFF
(cd "$hearth_root/build/clang" && ctest --output-on-failure -j "$jobs" --timeout 300) || status=1

echo "== Fuzz targets: committed corpora as regression inputs, then ${FUZZ_SECONDS:-10} s each"
"$hearth_root/scripts/fuzz.sh" --replay all || status=1
"$hearth_root/scripts/fuzz.sh" all "${FUZZ_SECONDS:-10}" || status=1

exit $status
