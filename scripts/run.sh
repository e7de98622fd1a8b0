#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Hearth (Release) and starts the main example on its
# built-in default configuration. Extra arguments go to the example.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
hearth_install_packages "${hearth_apt_packages[@]}"
hearth_build "$hearth_root/build/release" -DCMAKE_BUILD_TYPE=Release -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=OFF
cmake --build "$hearth_root/build/release" --target hearth_example_chat
exec "$hearth_root/build/release/examples/chat/hearth_example_chat" "$@"
