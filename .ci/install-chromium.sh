#!/usr/bin/env bash
# Headless Chromium + chromedriver for tests/leaderboard/test_html.py (the leaderboard page is
# opened in a real browser; with CI=true that test fails, not skips, when they are missing).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium chromium-driver
