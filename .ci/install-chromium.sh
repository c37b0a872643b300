#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the HTML report (tests/it/report_html.rs,
# docs/report.md). Idempotent: does nothing when `chromium` is already on the PATH. Runs apt-get
# as root, or through sudo when not root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present)"
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(chromium --version 2>/dev/null)"
