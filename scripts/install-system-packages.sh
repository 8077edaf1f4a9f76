#!/usr/bin/env bash
# Installs the Debian packages the tests use and npm cannot provide, if missing:
#   kcat        an independent Kafka client (Kafka tests)
#   chromium    the browser the dashboard tests drive through playwright-core (never a downloaded browser)
#   prometheus  a real Prometheus server that scrapes `/metrics` in the metrics test
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v chromium >/dev/null || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
if [[ ${#missing[@]} == 0 ]]; then
  echo "install-system-packages.sh: kcat, chromium and prometheus are installed" >&2
  exit 0
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system-packages.sh: installed ${missing[*]}" >&2
