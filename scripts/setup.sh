#!/usr/bin/env bash
# Installs everything Hearth needs to build and test on Debian 12 (bookworm), as root.
# Sourced by run.sh and test.sh; safe to run again (apt-get and npm are idempotent).
set -euo pipefail

hearth_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

hearth_apt_packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libboost1.81-dev libboost-system1.81-dev nlohmann-json3-dev libspdlog-dev catch2 zlib1g-dev libcli11-dev libssl-dev
    openssl  # the command line, for making a certificate by hand (README, "TLS"); tests use the API
)

# Packages only the test suite needs (real clients: Node.js, a browser; the second compiler,
# clang 14, whose libFuzzer runtime is in libclang-rt-14-dev).
hearth_test_packages=(nodejs chromium clang libclang-rt-14-dev)

# Packages the fuzz targets need (scripts/fuzz.sh).
hearth_fuzz_packages=(clang libclang-rt-14-dev)

hearth_install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo apt-get update
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
    fi
}

# configure_and_build BUILD_DIR [cmake args...]
hearth_build() {
    local dir="$1"
    shift
    cmake -S "$hearth_root" -B "$dir" -G Ninja "$@"
    cmake --build "$dir" -j "$(nproc)"
}

# Debian splits npm out of nodejs; other nodejs builds bundle it.
hearth_install_npm() {
    command -v npm >/dev/null 2>&1 || hearth_install_packages npm
}
