#!/usr/bin/env bash
# Builds Hearth's libraries (Release) and writes the Debian package hearth-dev_<version>_<arch>.deb
# into the current directory. Install it with `apt-get install -y ./hearth-dev_0.2.0_amd64.deb`;
# then a project's `find_package(Hearth 0.2 CONFIG REQUIRED)` finds it (docs/getting-started.md).
#
# The build directory is $HEARTH_BUILD_DIR, default build/package in Hearth's tree. A directory
# that is already configured is reused as it is (the test suite passes its Release build).
set -euo pipefail
hearth_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HEARTH_BUILD_DIR:-$hearth_root/build/package}"
if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$hearth_root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=OFF -DHEARTH_BUILD_EXAMPLES=OFF
fi
cmake --build "$build" --target hearth_package
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$PWD/_hearth_cpack"
mv "$PWD"/_hearth_cpack/hearth-dev_*.deb "$PWD"/
rm -rf "$PWD/_hearth_cpack"
ls "$PWD"/hearth-dev_*.deb
