#!/usr/bin/env bash
# Installs Debian's kcat (an independent Kafka client used by the Kafka tests and handy for debugging) if missing.
set -euo pipefail
if command -v kcat >/dev/null; then
  echo "install-kcat.sh: kcat is installed ($(command -v kcat))" >&2
  exit 0
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null
echo "install-kcat.sh: installed $(command -v kcat)" >&2
