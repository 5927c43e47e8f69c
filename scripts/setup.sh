#!/usr/bin/env bash
# Installs what CryptoSights needs on a fresh Debian machine, from the locks (exact versions and
# hashes of the whole dependency closure):
#   setup.sh run [VENV]  what running the site needs: python3 + venv, requirements.lock
#   setup.sh dev [VENV]  also the test and benchmark tools: requirements-dev.lock, and Debian's
#                        chromium (browser tests; Playwright drives it, never downloads one) and wrk
# No NLP data is downloaded: Punkt is trained at index time, the stop words and coin dictionary
# ship in the repository, VADER's lexicon ships in its wheel.
set -euo pipefail
mode="${1:-run}"
venv="${2:-.venv}"
cd "$(dirname "$0")/.."
case "$mode" in run|dev) ;; *) echo "usage: setup.sh run|dev [VENV]" >&2; exit 2 ;; esac

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    echo "Please install Debian's packages: $*" >&2; exit 1
  fi
}

command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null || apt_install python3 python3-venv

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
lock=requirements.lock
[ "$mode" = dev ] && lock=requirements-dev.lock
# The lock is the whole closure (see the Makefile's lock target): nothing else to resolve.
"$venv/bin/python" -m pip install -q --require-hashes --no-deps -r "$lock"

if [ "$mode" = dev ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v wrk >/dev/null || missing+=(wrk)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
fi
