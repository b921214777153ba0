#!/usr/bin/env bash
# Install Debian packages whose file is missing: ensure-system-packages.sh FILE=PACKAGE ...
# As root it runs apt-get; otherwise it stops and prints the exact command to run.
set -euo pipefail
missing=()
for pair in "$@"; do
  file=${pair%%=*}
  package=${pair#*=}
  if [[ $file == /* ]]; then
    [[ -e $file ]] || missing+=("$package")
  else
    command -v "$file" >/dev/null 2>&1 || missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "Docsite needs these system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
