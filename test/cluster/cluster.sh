#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1, for the tests and the demo: etcd,
# kube-apiserver (TLS, client certificates, ServiceAccount tokens, RBAC, default admission,
# an audit log), kube-controller-manager (every default controller), kube-scheduler, and
# KWOK simulating the seed's two Raspberry Pi workers, raspi002 and raspi003.
#
#   cluster.sh start DIR     start everything, wait until the API answers, the controllers
#                            run and both nodes are Ready; DIR/admin.kubeconfig is cluster-admin
#   cluster.sh stop DIR      stop every process it started, by the pids in DIR/pids
#   cluster.sh token-kubeconfig DIR NAMESPACE SERVICEACCOUNT OUT
#                            a kubeconfig for that ServiceAccount (a TokenRequest token, 24 h)
#
# The binaries come from test/cluster/build.sh (CLUSTER_BIN, default build/cluster/bin).
# Ports are picked free at start and written to DIR/ports. Nothing listens beyond loopback.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${CLUSTER_BIN:-$here/../../build/cluster/bin}
bin=$(cd "$bin" 2>/dev/null && pwd) || { echo "cluster.sh: no binaries in ${CLUSTER_BIN:-build/cluster/bin}: run test/cluster/build.sh first" >&2; exit 1; }

die() { echo "cluster.sh: $*" >&2; exit 1; }

free_port() {
  local p
  # Below the kernel's ephemeral range (32768-60999), which outgoing connections draw from.
  for p in $(shuf -i 20000-32000 -n 200); do
    grep -qx "$p" "$dir/ports.used" 2>/dev/null && continue
    if ! ss -Htln "sport = :$p" | grep -q .; then
      echo "$p" >>"$dir/ports.used"
      echo "$p"
      return 0
    fi
  done
  die "no free port"
}

# Polls "$@" until it succeeds; fails at once if COMPONENT died, or after TIMEOUT seconds,
# showing the end of the component's log either way.
wait_for() {
  local timeout=$1 what=$2 component=$3
  shift 3
  local log=$dir/logs/$component.log pid
  pid=$(cat "$dir/pids/$component.pid")
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    local why=
    kill -0 "$pid" 2>/dev/null || why="exited"
    [ $SECONDS -lt $deadline ] || why="not ready after ${timeout}s"
    if [ -n "$why" ]; then
      echo "cluster.sh: $what $why; last lines of $log:" >&2
      tail -n 25 "$log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# Starts a component in its own process group; its pid goes to DIR/pids/NAME.pid.
launch() {
  local name=$1
  shift
  setsid "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
}

write_kubeconfig() {  # OUT USER (cert+key in pki/USER.{crt,key}) | OUT --token TOKEN
  local out=$1 user=$2 port
  port=$(sed -n 's/^apiserver=//p' "$dir/ports")
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: np-test"
    echo "  cluster:"
    echo "    server: https://127.0.0.1:$port"
    echo "    certificate-authority: $dir/pki/ca.crt"
    echo "users:"
    echo "- name: user"
    echo "  user:"
    if [ "$user" = --token ]; then
      echo "    token: $3"
    else
      echo "    client-certificate: $dir/pki/$user.crt"
      echo "    client-key: $dir/pki/$user.key"
    fi
    echo "contexts:"
    echo "- name: np-test"
    echo "  context: {cluster: np-test, user: user}"
    echo "current-context: np-test"
  } >"$out"
  chmod 600 "$out"
}

make_pki() {
  local pki=$dir/pki
  mkdir -p "$pki"
  key() { openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null; }
  key ca
  openssl req -x509 -new -key "$pki/ca.key" -out "$pki/ca.crt" -days 3 \
    -subj "/CN=nfs-provisioner-test-cluster-ca" 2>/dev/null
  # cert NAME SUBJECT EXTENSIONS
  cert() {
    key "$1"
    openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
    printf '%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' "$3" >"$pki/$1.ext"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
    rm -f "$pki/$1.csr" "$pki/$1.ext"
  }
  local san="subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc"
  cert apiserver "/CN=kube-apiserver" "$san
extendedKeyUsage=serverAuth"
  # Client certificates, as kubeadm's admin.conf and the components' kubeconfigs carry them.
  cert admin "/O=system:masters/CN=kubernetes-admin" "extendedKeyUsage=clientAuth"
  cert controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  cert scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  cert kwok "/O=system:masters/CN=kwok" "extendedKeyUsage=clientAuth"
  key service-account
  openssl ec -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub" 2>/dev/null
  rm -f "$pki/ca.srl"
  chmod 600 "$pki"/*.key
}

node_manifest() {  # NAME
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: arm64
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    node-role.kubernetes.io/worker: ""
    type: kwok
status:
  allocatable: {cpu: "4", memory: 4Gi, pods: "110"}
  capacity: {cpu: "4", memory: 4Gi, pods: "110"}
  nodeInfo:
    architecture: arm64
    operatingSystem: linux
    kubeletVersion: fake
EOF
}

# Free ports are picked before the components bind them, so a parallel test can take one in
# between: then everything stops and starts again on other ports.
start() {
  [ -e "$dir/pids" ] && die "$dir already holds a cluster (stop it first)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local attempt
  for attempt in 1 2 3; do
    if (start_once); then return 0; fi
    stop
    grep -qs "address already in use" "$dir"/logs/*.log || return 1
    echo "cluster.sh: a port was taken meanwhile; starting again on other ports" >&2
    rm -rf "${dir:?}"/*
  done
  return 1
}

start_once() {
  mkdir -p "$dir/logs" "$dir/pids"
  local t0=$SECONDS
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwok-stages.yaml; do
    [ -e "$bin/$b" ] || die "missing $bin/$b: run test/cluster/build.sh"
  done
  make_pki
  local etcd_port etcd_peer api_port kcm_port sched_port
  etcd_port=$(free_port) etcd_peer=$(free_port) api_port=$(free_port)
  kcm_port=$(free_port) sched_port=$(free_port)
  printf 'etcd=%s\napiserver=%s\ncontroller-manager=%s\nscheduler=%s\n' \
    "$etcd_port" "$api_port" "$kcm_port" "$sched_port" >"$dir/ports"

  # Test clusters live for minutes: fsync buys nothing here and costs seconds per test.
  launch etcd "$bin/etcd" --name np-test --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "np-test=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn
  wait_for 30 etcd etcd curl -fsS "http://127.0.0.1:$etcd_port/health"

  cat >"$dir/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
EOF
  # The ServiceAccount admission and token signing are real; the service range is only a
  # setting (nothing here routes to it); the endpoint reconciler would refuse 127.0.0.1.
  launch kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/service-account.pub" \
    --service-account-signing-key-file "$dir/pki/service-account.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --authorization-mode RBAC \
    --endpoint-reconciler-type none \
    --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$dir/logs/audit.log" \
    --audit-log-format json --audit-log-mode blocking \
    --profiling=false ${CLUSTER_APISERVER_ARGS:-}
  write_kubeconfig "$dir/admin.kubeconfig" admin
  write_kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$dir/scheduler.kubeconfig" scheduler
  write_kubeconfig "$dir/kwok.kubeconfig" kwok
  wait_for 60 kube-apiserver kube-apiserver \
    curl -fsS --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    "https://127.0.0.1:$api_port/readyz"
  local t_api=$SECONDS

  launch kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --use-service-account-credentials \
    --service-account-private-key-file "$dir/pki/service-account.key" \
    --root-ca-file "$dir/pki/ca.crt" \
    --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" \
    --leader-elect=false --controllers '*' ${CLUSTER_CONTROLLER_MANAGER_ARGS:-}
  launch kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig "$dir/scheduler.kubeconfig" \
    --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" --leader-elect=false
  launch kwok "$bin/kwok" --kubeconfig "$dir/kwok.kubeconfig" --config "$bin/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --cidr 10.244.0.1/24

  wait_for 60 kube-controller-manager kube-controller-manager \
    curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
  wait_for 60 kube-scheduler kube-scheduler \
    curl -fsSk "https://127.0.0.1:$sched_port/healthz"
  local kubectl=("$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig")
  # The ServiceAccount controller making "default" proves the controllers really run.
  wait_for 60 "the controller-manager's ServiceAccount controller" kube-controller-manager \
    "${kubectl[@]}" get serviceaccount default -n default
  { node_manifest raspi002; echo "---"; node_manifest raspi003; } | "${kubectl[@]}" apply -f - >/dev/null
  wait_for 60 "the simulated nodes raspi002 and raspi003" kwok \
    "${kubectl[@]}" wait --for=condition=Ready node/raspi002 node/raspi003 --timeout=1s
  echo "cluster.sh: control plane up in $((SECONDS - t0)) s (API ready after $((t_api - t0)) s): $dir/admin.kubeconfig"
}

# A test cluster is thrown away with its directory: nothing is worth a graceful shutdown (which
# takes 2-3 s a component, and kube-apiserver hangs once etcd is gone), so SIGKILL, by pid.
stop() {
  [ -d "$dir/pids" ] || return 0
  local f pid pids=()
  for f in "$dir"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  done
  rm -rf "$dir/pids"
}

token_kubeconfig() {  # NAMESPACE SERVICEACCOUNT OUT
  local token
  token=$("$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig" create token "$2" -n "$1" --duration 24h) ||
    die "no token for serviceaccount $1/$2"
  write_kubeconfig "$3" --token "$token"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: cluster.sh start|stop DIR | token-kubeconfig DIR NS SA OUT"
case "$cmd" in
  start)
    trap 'status=$?; [ $status -eq 0 ] || stop; exit $status' EXIT
    start
    ;;
  stop) stop ;;
  token-kubeconfig)
    dir=$(cd "$dir" && pwd)
    token_kubeconfig "${3:?namespace}" "${4:?serviceaccount}" "${5:?output file}"
    ;;
  *) die "unknown command $cmd" ;;
esac
