#!/bin/sh
# deps.sh — install the Debian packages assess-search needs, when missing.
# Run by `make` (once; the stamp build/.deps-ok remembers).  Needs root for
# apt-get; without root it only reports what is missing.
set -e
PKGS="build-essential g++ pkg-config zlib1g-dev libstemmer-dev libxapian-dev xapian-tools libcmocka-dev mandoc valgrind clang libclang-rt-dev"
[ -n "$EXTRA_PKGS" ] && PKGS="$PKGS $EXTRA_PKGS"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: not root; install these packages first:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
