#!/usr/bin/env bash
# Xvfb (a virtual X display) for tests/algorithms/test_keyboard_gate.py: the keyboard gate's
# pygame window is opened on a real X server and driven with synthetic key events (with
# CI=true that test fails, not skips, when Xvfb is missing).
set -euo pipefail
if command -v Xvfb >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q xvfb
