#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the HTML report (tests/it/report_html.rs).
# Idempotent: does nothing when `chromium` is already on the PATH. Needs root (CI runs as root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(chromium --version)"
