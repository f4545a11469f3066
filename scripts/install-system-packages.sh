#!/usr/bin/env bash
# Install the Debian packages that the test suite needs (idempotent, quick when already there):
#   chromium     - the browser that Playwright drives for the maps/ browser tests
#   postgresql   - the server that the PostgreSQL storage tests start on 127.0.0.1
# Runs `apt-get update` once, only when something is missing. Needs root (or sudo) on
# Debian/Ubuntu; elsewhere it says what to install and exits 0 so the tests skip cleanly.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# fonts so that screenshots show text, Chinese included (chromium pulls a minimal set)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-packages: please install: ${need[*]} (no apt-get here; browser/PostgreSQL tests will skip)" >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-system-packages: not root; please run: apt-get install ${need[*]} (tests that need them will skip)" >&2
        exit 0
    fi
fi

echo "install-system-packages: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
