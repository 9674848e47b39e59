#!/usr/bin/env bash
# Installs the Debian packages listed in $1 (one per line, # comments) when they are missing.
set -euo pipefail
list="$1"
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^\s*$/d' "$list" | awk '{print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "note: missing system packages (${missing[*]}); install them with apt-get as root." >&2
  echo "      Document signing and browser tests will be skipped without them." >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
