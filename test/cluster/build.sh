#!/usr/bin/env bash
# Builds the real control plane the tests and the demo start, from this folder's go.mod:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok (with its
# stage definitions, kwok-stages.yaml), into OUT.
# The first build takes minutes on 2 cores (the Go build cache makes later ones seconds);
# it says what it builds and how long each took. A binary newer than go.mod, go.sum and this
# script is kept.
# Usage: test/cluster/build.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:?usage: build.sh OUT_DIR}" && cd "$1" && pwd)
cd "$here"
command -v go >/dev/null || { echo "build.sh: Go is not installed (the polyglot machine has it)" >&2; exit 1; }
# The machine's Go builds it; never a toolchain fetched behind our back.
export GOTOOLCHAIN=local

targets=(
  etcd=go.etcd.io/etcd/server/v3
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
  kubectl=k8s.io/kubernetes/cmd/kubectl
  kwok=sigs.k8s.io/kwok/cmd/kwok
)
# Stamp the version, as Kubernetes' own build does (kubectl version, Helm's kubeVersion checks
# and the provisioner's start-up log read it), from the version go.mod pins.
k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=${k8s_version#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
total_start=$SECONDS
for t in "${targets[@]}"; do
  name=${t%%=*} pkg=${t#*=}
  if [ "$out/$name" -nt go.sum ] && [ "$out/$name" -nt go.mod ] && [ "$out/$name" -nt build.sh ]; then
    echo "cluster build: $name up to date"
    continue
  fi
  start=$SECONDS
  echo "cluster build: $name ($pkg) ..."
  go build -trimpath -ldflags="$ldflags" -o "$out/$name.tmp" "$pkg"
  mv "$out/$name.tmp" "$out/$name"
  echo "cluster build: $name done in $((SECONDS - start)) s"
done

# KWOK's own stage definitions (node-initialize, heartbeat with lease, pod ready/complete/
# delete), from the module cache of the version go.mod pins: cluster.sh hands them to kwok.
kwok_dir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
first=1
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  [ $first -eq 1 ] || echo "---"
  first=0
  cat "$kwok_dir/kustomize/stage/$f"
done >"$out/kwok-stages.yaml"
echo "cluster build: all binaries in $out ($((SECONDS - total_start)) s)"
