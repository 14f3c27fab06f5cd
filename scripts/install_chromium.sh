#!/usr/bin/env bash
# Install Debian's Chromium for the headless HTML-report browser test (tests/test_report_browser.py).
#
# Idempotent and never fatal: if /usr/bin/chromium already exists it does nothing; if it cannot
# install (not root, no apt-get, no network, package missing) it says why and exits 0, and the
# browser test skips with a clear message.
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_chromium: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "install_chromium: not root; cannot apt-get install chromium (browser test will skip)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: apt-get not available; cannot install chromium (browser test will skip)"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install_chromium: installing Debian chromium with apt-get ..."
if ! apt-get update -qq >/dev/null 2>&1; then
    echo "install_chromium: apt-get update failed (no network?); continuing with the cached index"
fi
if apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 && [ -x "$CHROMIUM" ]; then
    echo "install_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
else
    echo "install_chromium: apt-get install chromium failed; browser test will skip"
fi
exit 0
