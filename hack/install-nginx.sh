#!/usr/bin/env bash
# Installs nginx for the local ingress (`make ingress-up`, `modelplane dev-ingress`) as bin/nginx.
#
# Why this way: the binary comes from Debian's own `nginx` package (the registry apt already uses), unpacked into
# the tool cache with dpkg-deb instead of `apt-get install`, so no system service starts, nothing listens on port
# 80, and no root is needed once the package lists exist. Its shared libraries (libpcre2, libssl3, zlib) are part
# of a standard Debian; they are installed with apt-get when missing and we are root. Idempotent: a cached
# binary is only linked again.
#
# Usage: hack/install-nginx.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MODELPLANE_CACHE:-$HOME/.cache/modelplane}
BIN=$ROOT/bin

say() { printf '[nginx %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'install-nginx: %s\n' "$*" >&2; exit 1; }

command -v apt-get >/dev/null || die "apt-get is missing: this script needs a Debian or Ubuntu machine (or put an nginx binary at $BIN/nginx)"
mkdir -p "$BIN" "$CACHE"

version=$(apt-cache policy nginx 2>/dev/null | awk '/Candidate:/ {print $2}')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  [ "$(id -u)" = 0 ] || die "apt knows no nginx package; run 'sudo apt-get update' and try again"
  say "refreshing the apt package lists"
  apt-get update -qq
  version=$(apt-cache policy nginx | awk '/Candidate:/ {print $2}')
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "apt offers no nginx package even after apt-get update"
fi

dest=$CACHE/nginx-$version
if [ ! -x "$dest/nginx" ]; then
  say "downloading Debian's nginx $version and unpacking it into $dest"
  work=$(mktemp -d "$CACHE/nginx-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "nginx=$version" >/dev/null)
  dpkg-deb -x "$work"/nginx_*.deb "$work/root"
  mkdir -p "$dest"
  cp "$work/root/usr/sbin/nginx" "$dest/nginx.part"
  mv "$dest/nginx.part" "$dest/nginx"
fi

missing=$(ldd "$dest/nginx" | awk '/not found/ {print $1}')
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || die "nginx needs these libraries: $missing; run 'sudo apt-get install -y libpcre2-8-0 libssl3 zlib1g libcrypt1'"
  say "installing nginx's libraries ($missing)"
  apt-get install -y -qq libpcre2-8-0 libssl3 zlib1g libcrypt1 >/dev/null
fi

ln -sfn "$dest/nginx" "$BIN/nginx"
say "bin/nginx is $("$BIN/nginx" -v 2>&1 | sed 's/^nginx version: //')"
