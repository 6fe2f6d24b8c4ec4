#!/usr/bin/env bash
# A real NFS server for tests and demos: nfs-ganesha (user space, VFS backend) on 127.0.0.1,
# with its own ports, its own state directory and one or more temporary exports.
#
# Usage:
#   nfs-server.sh start  STATE_DIR NFS_PORT MOUNT_PORT [EXPORT...]
#   nfs-server.sh stop   STATE_DIR [--kill]
#   nfs-server.sh status STATE_DIR
#
#   EXPORT is NAME[,ro][,root_squash]   (default: one export named "export", read-write,
#                                        No_Root_Squash)
#     NAME         the export's backing directory is STATE_DIR/exports/NAME (created empty
#                  if missing, kept if present) and clients mount it as "/NAME"
#     ro           read-only export: writes fail with EROFS
#     root_squash  root is mapped to nobody (4294967294); the backing directory is made 0777
#                  so mkdir works, but chown fails with EPERM (like many Raspberry Pi servers)
#
#   start   writes STATE_DIR/ganesha.conf, starts ganesha.nfsd in the background (and
#           rpcbind if no portmapper answers on 127.0.0.1: ganesha needs one to start v3),
#           then waits until a real NFSv3 mount of every export answers (nfs-ls). Prints one
#           libnfs URL per export, e.g.
#             nfs://127.0.0.1/export?version=3&nfsport=NFS_PORT&mountport=MOUNT_PORT
#           Calling start again with the same STATE_DIR after stop restarts on the same ports
#           with the same exports and their content.
#   stop    stops ganesha by its pid: SIGTERM (clean, ~1.7 s), or SIGKILL with --kill (at once;
#           a restart on the same ports works straight away). The state directory is kept:
#           remove it yourself. rpcbind is left running: it is shared by every instance.
#   status  exit 0 when this STATE_DIR's ganesha is running, 1 otherwise.
#
# Exit codes: 0 ok, 1 failure (the reason and the tail of STATE_DIR/ganesha.log on stderr),
# 2 usage error. Needs root (ganesha's VFS backend uses open_by_handle_at).
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "nfs-server.sh: $*" >&2
  if [ -n "${state_dir:-}" ] && [ -f "$state_dir/ganesha.log" ]; then
    echo "--- last lines of $state_dir/ganesha.log:" >&2
    grep -v -E 'DBUS|dbus|keytab|RADOS|rados' "$state_dir/ganesha.log" | tail -n 15 >&2 || true
  fi
  exit 1
}

# A killed ganesha is reparented to pid 1, which may take seconds to reap it: a zombie has
# closed its sockets already and counts as stopped.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

running_pid() {
  local pid
  [ -f "$state_dir/ganesha.pid" ] || return 1
  pid=$(cat "$state_dir/ganesha.pid" 2>/dev/null) || return 1
  alive "$pid" || return 1
  # A recycled pid must not be mistaken for our server.
  grep -q ganesha "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

ensure_portmapper() {
  rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && return 0
  # Never "rpcbind -h 127.0.0.1": it crashes with a double free.
  mkdir -p /run/rpcbind
  # rpcbind outlives this script: it must not inherit the start lock (see start()).
  if [ -n "${lockfd:-}" ]; then
    setsid rpcbind -f </dev/null >/dev/null 2>&1 {lockfd}>&- &
  else
    setsid rpcbind -f </dev/null >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 100); do
    rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "no portmapper answers on 127.0.0.1 and rpcbind could not be started"
}

write_config() {
  local id=1 spec name opts access squash
  {
    cat <<EOF
NFS_CORE_PARAM {
  Bind_addr = 127.0.0.1; NFS_Port = $nfs_port; MNT_Port = $mount_port;
  Protocols = 3, 4; Enable_UDP = false; Enable_NLM = false; Enable_RQUOTA = false;
  mount_path_pseudo = true;
}
NFSv4 { Graceless = true; RecoveryRoot = "$state_dir/recovery"; Only_Numeric_Owners = true; }
NFS_KRB5 { Active_krb5 = false; }
EOF
    for spec in "${exports[@]}"; do
      name=${spec%%,*}
      opts=",${spec#"$name"},"
      access=RW
      squash=No_Root_Squash
      [[ $opts == *,ro,* ]] && access=RO
      [[ $opts == *,root_squash,* ]] && squash=Root_Squash
      cat <<EOF
EXPORT {
  Export_Id = $id; Path = "$state_dir/exports/$name"; Pseudo = "/$name";
  Access_Type = $access; Squash = $squash; SecType = sys; Protocols = 3, 4; Transports = TCP;
  FSAL { Name = VFS; }
}
EOF
      id=$((id + 1))
    done
  } >"$state_dir/ganesha.conf"
}

start() {
  [ $# -ge 3 ] || usage
  state_dir=$1 nfs_port=$2 mount_port=$3
  shift 3
  exports=("$@")
  [ ${#exports[@]} -gt 0 ] || exports=(export)
  [[ $nfs_port =~ ^[0-9]+$ && $mount_port =~ ^[0-9]+$ ]] || usage
  local spec name pid
  for spec in "${exports[@]}"; do
    name=${spec%%,*}
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "bad export name '$name'"
    for opt in $(tr ',' ' ' <<<"${spec#"$name"}"); do
      [[ $opt == ro || $opt == root_squash ]] || die "unknown export option '$opt' in '$spec'"
    done
  done
  mkdir -p "$state_dir/recovery"
  state_dir=$(cd "$state_dir" && pwd)
  if pid=$(running_pid); then die "already running (pid $pid) for $state_dir"; fi
  for spec in "${exports[@]}"; do
    name=${spec%%,*}
    mkdir -p "$state_dir/exports/$name"
    [[ ",${spec#"$name"}," == *,root_squash,* ]] && chmod 0777 "$state_dir/exports/$name"
  done
  write_config
  # Instances started at the same moment (parallel tests) race to register NFS v3 with the
  # shared rpcbind: one unsets, the other sets, and ganesha exits with "Cannot register NFS
  # V3 on TCP". Starts are serialised until this one answers; ganesha must not inherit the
  # lock's descriptor, or the lock would be held for its whole life.
  local lockfd
  exec {lockfd}>"${TMPDIR:-/tmp}/np-ganesha-start.lock"
  flock -w 120 "$lockfd" || die "another nfs-server.sh start held the start lock for 120 s"
  ensure_portmapper
  rm -f "$state_dir/ganesha.pid"
  setsid ganesha.nfsd -F -f "$state_dir/ganesha.conf" -L "$state_dir/ganesha.log" \
    -p "$state_dir/ganesha.pid" -N NIV_EVENT </dev/null >>"$state_dir/ganesha.out" 2>&1 {lockfd}>&- &
  local launched=$!
  # The log says "NFS SERVER INITIALIZED" even for a broken export: only a mount proves it.
  local url ready
  for spec in "${exports[@]}"; do
    name=${spec%%,*}
    url="nfs://127.0.0.1/$name?version=3&nfsport=$nfs_port&mountport=$mount_port"
    ready=no
    for _ in $(seq 1 200); do
      alive "$launched" || die "ganesha.nfsd exited during start (ports $nfs_port/$mount_port taken?)"
      if timeout 5 nfs-ls "$url" >/dev/null 2>&1; then
        ready=yes
        break
      fi
      sleep 0.05
    done
    [ $ready = yes ] || { kill -KILL "$launched" 2>/dev/null || true; die "export $name never answered at $url"; }
    echo "$url"
  done
  exec {lockfd}>&-
}

stop() {
  [ $# -ge 1 ] || usage
  state_dir=$1
  local signal=TERM pid
  [ "${2:-}" = --kill ] && signal=KILL
  pid=$(running_pid) || { rm -f "$state_dir/ganesha.pid"; return 0; }
  kill -"$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do
    alive "$pid" || { rm -f "$state_dir/ganesha.pid"; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.1
  rm -f "$state_dir/ganesha.pid"
}

status() {
  [ $# -ge 1 ] || usage
  state_dir=$1
  running_pid >/dev/null
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  *) usage ;;
esac
