#!/usr/bin/env bash
# Installs Azurite, Microsoft's Azure Storage emulator, from the npm registry into a cache folder outside the clone.
#
# Why: the storage initializer's Azure blob back end is tested against a real Azure-compatible server on 127.0.0.1,
# and Azurite is that server. It is an npm package, so it needs node and npm (nothing is downloaded from anywhere
# but the npm registry). The install lands once in $MODELPLANE_CACHE/azurite-<version> (default cache
# ~/.cache/modelplane); re-running finds it there and only prints its path, so the script is idempotent and cheap.
#
# Usage: hack/install-azurite.sh          prints the path of the azurite-blob launcher on its last line
set -euo pipefail

# -- pinned version: change it here and the next run installs the new one beside the old.
AZURITE_VERSION=3.37.0

CACHE=${MODELPLANE_CACHE:-$HOME/.cache/modelplane}
DEST=$CACHE/azurite-$AZURITE_VERSION
LAUNCHER=$DEST/node_modules/.bin/azurite-blob

say() { printf '[azurite %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "node and npm are needed to install Azurite; install them (e.g. apt-get install nodejs npm) and re-run"
  exit 2
fi

if [ -x "$LAUNCHER" ]; then
  say "azurite $AZURITE_VERSION already installed in $DEST"
  echo "$LAUNCHER"
  exit 0
fi

say "installing azurite $AZURITE_VERSION from the npm registry into $DEST (npm shows progress)"
mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/azurite-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '{"name": "modelplane-azurite", "private": true}\n' >"$work/package.json"
(cd "$work" && npm install --no-audit --no-fund --progress=true --loglevel=http "azurite@$AZURITE_VERSION" >&2)
# Move into place in one rename so a half-finished install is never mistaken for a finished one.
rm -rf "$DEST"
mv "$work" "$DEST"
trap - EXIT
say "installed azurite $AZURITE_VERSION"
echo "$LAUNCHER"
