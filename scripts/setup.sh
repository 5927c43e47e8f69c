#!/usr/bin/env bash
# Installs everything CryptoSights needs on a fresh Debian machine: Debian packages (when the
# machine lacks them), a virtualenv with the Python packages, and nothing else — the NLP
# pipeline needs no NLTK data downloads (Punkt is trained at index time, the stop words and coin
# dictionary ship in the repository, VADER's lexicon ships in its wheel).
set -euo pipefail
venv="${1:-.venv}"
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "Please install: ${need_apt[*]}" >&2; exit 1
  fi
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt

# Debian packages: headless Chromium for the browser tests (Playwright drives it, never downloads
# one) and wrk for the HTTP benchmark.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "Please install Debian's packages: ${missing[*]}" >&2; exit 1
  fi
fi
