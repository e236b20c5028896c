#!/usr/bin/env bash
# What the tests need beyond Python, installed when missing: Debian's headless Chromium, in which the report test
# opens the rendered report. The test fails, never skips, without it.
set -euo pipefail
command -v chromium >/dev/null && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
