#!/usr/bin/env bash
# Installs the Debian packages the tests talk to: the real Jupyter clients, the conformance suite and Chromium.
# PyTorch is not needed: its outputs are committed as fixtures (tools/fixtures regenerates them).
set -euo pipefail
packages=(
  python3-jupyter-kernel-test python3-jupyter-client python3-nbclient python3-nbconvert python3-nbformat
  jupyter-console python3-jupyter-server python3-ipykernel python3-notebook chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
