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

# Headless Chromium for the browser tests (Debian's package; Playwright drives it, never downloads one).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "Please install Debian's chromium package (the browser tests need /usr/bin/chromium)" >&2; exit 1
  fi
fi
