#!/usr/bin/env bash
# nfs-subdir-side-by-side.sh: nfs-provisioner and nfs-subdir-external-provisioner on the same
# real control plane and nfs-ganesha, in the same run (bench_provision --nfs-subdir), rounds
# alternated, then a table of both and the ratios.
#
# nfs-subdir is built here from its own source, outside this repository (nothing of its code
# is committed): SOURCE is a checkout or a git URL (default: its GitHub repository, tag
# v4.0.2 — the source of the v4.0.3 release image's provisioner). Its go.mod needs Go 1.19 or
# newer; its vendor/ directory means no module is downloaded. Needs root: nfs-subdir writes
# into /persistentvolumes (its mount in a pod), which the bench makes a symlink to the
# export's directory for the run.
#
# Usage: test/bench/nfs-subdir-side-by-side.sh [-s SOURCE] [-r REF] [-- bench_provision args]
#   e.g. test/bench/nfs-subdir-side-by-side.sh -- --claims 1000 --rounds 2
# Environment: BUILD_DIR (default build), WORK (default /tmp/nfs-subdir-bench: its checkout
# and binary, kept between runs).
set -euo pipefail
cd "$(dirname "$0")/../.."

source=https://github.com/kubernetes-sigs/nfs-subdir-external-provisioner
ref=v4.0.2
while getopts "s:r:" opt; do
  case $opt in
    s) source=$OPTARG ;;
    r) ref=$OPTARG ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

build=${BUILD_DIR:-build}
work=${WORK:-/tmp/nfs-subdir-bench}
# client-go names its User-Agent after the binary: keep the upstream name.
binary=$work/bin/nfs-subdir-external-provisioner

if [ "$(id -u)" != 0 ]; then
  echo "nfs-subdir-side-by-side: needs root (/persistentvolumes)" >&2
  exit 2
fi
command -v go >/dev/null || { echo "nfs-subdir-side-by-side: needs go" >&2; exit 2; }

if [ ! -x "$binary" ] || [ "$(cat "$work/built-from" 2>/dev/null)" != "$source $ref" ]; then
  rm -rf "$work/src"
  mkdir -p "$work/bin"
  if [ -d "$source" ] && [ -f "$source/go.mod" ] && [ "$ref" = "" ]; then
    cp -a "$source" "$work/src"
  else
    git clone --quiet "$source" "$work/src"
    [ -z "$ref" ] || git -C "$work/src" checkout --quiet "$ref"
  fi
  echo "nfs-subdir-side-by-side: building nfs-subdir ($source $ref) with $(go version)"
  t0=$(date +%s)
  (cd "$work/src" && GOFLAGS=-mod=vendor go build -trimpath -ldflags "-s -w" -o "$binary" \
    ./cmd/nfs-subdir-external-provisioner)
  echo "$source $ref" >"$work/built-from"
  echo "nfs-subdir-side-by-side: built in $(($(date +%s) - t0)) s: $binary ($(stat -c %s "$binary") bytes)"
fi

cmake --build "$build" --target bench_provision >/dev/null
exec "$build/test/e2e/bench_provision" --nfs-subdir "$binary" "$@"
