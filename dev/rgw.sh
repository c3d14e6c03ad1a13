#!/usr/bin/env bash
# Starts and stops a throwaway single-node Ceph RADOS Gateway on 127.0.0.1: a verifying S3 for the test suite, the bench and `LOCAL_S3=rgw npm start`.
#
#   bash dev/rgw.sh start DIR   # prints {"endpoint":...,"region":...,"accessKeyId":...,"secretAccessKey":...,"dir":...}
#   bash dev/rgw.sh stop DIR    # ends the daemons recorded in DIR and removes DIR
#
# Everything (config, mon store, memstore OSD, logs, pid files, admin sockets, run dir) lives under DIR,
# and every ceph tool gets --conf DIR/ceph.conf, so /etc/ceph and /var/lib/ceph are never touched.
# The mon listens on a random free port (msgr v2 only), and the OSD and RGW ports are free ones too,
# so two clusters can run side by side (for example two jest runs).
#
# Environment:
#   RGW_OWNER_PID      if set, a watchdog stops the cluster once that process is gone (jest killed by Ctrl-C, ...)
#   RGW_START_TIMEOUT  seconds to wait for each daemon (default 30)
#   RGW_NO_INSTALL=1   never run apt-get, just report what is missing
set -euo pipefail

readonly SCRIPT=$(realpath "$0")
readonly MARKER=.rgw-sh-cluster
readonly REGION=us-east-1
readonly START_TIMEOUT=${RGW_START_TIMEOUT:-30}
# Pools radosgw would otherwise create one at a time while it starts; creating them up front, in one
# ceph session and alongside the OSD's boot, keeps the whole start at about 2 s.
readonly RGW_POOLS=(.rgw.root default.rgw.log default.rgw.control default.rgw.meta
  default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec)

log() { printf 'rgw.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# Debian package for each command the cluster needs.
declare -A PACKAGE_OF=(
  [ceph-mon]=ceph-mon [monmaptool]=ceph-mon [ceph-osd]=ceph-osd [radosgw]=radosgw
  [radosgw-admin]=radosgw [ceph]=ceph-common [uuidgen]=uuid-runtime [curl]=curl
)

ensure_packages() {
  local missing=() cmd
  for cmd in "${!PACKAGE_OF[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # shellcheck disable=SC2207 # package names have no spaces
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  if [ "${RGW_NO_INSTALL:-}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing Debian packages: ${missing[*]}. Install them as root: apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  log "installing ${missing[*]} (about 70 MB)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# A random unprivileged port nothing on 127.0.0.1 listens on. Racy by nature; a bind failure shows
# up as a daemon that dies, which start reports with its log.
free_port() {
  local port i
  for i in $(seq 1 100); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

# Start-up timings go to the bootstrap log, to see which step a slow start spends its time in.
mark() { echo "rgw.sh: +$(($(date +%s%3N) - START_MS)) ms: $*" >>"$DIR/log/bootstrap.log"; }

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# "state" of a pid from /proc: empty when gone. A zombie counts as gone: our daemons are reparented
# when start exits, so nobody may reap them promptly and `kill -0` would still succeed.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ]
}

# True only if pid is still the process we started: its command line names our config file.
# This guards against killing an unrelated process that reused a recorded pid.
ours() {
  alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$DIR"
}

# Runs a daemon in the foreground of a background job so that $! is its real pid.
spawn() {
  local name=$1
  shift
  "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo "$name $!" >>"$DIR/pids"
}

pid_of() { awk -v n="$1" '$1 == n {print $2}' "$DIR/pids"; }

# Waits until "$@" succeeds, failing early (with the log) if daemon $1 died.
wait_for() {
  local daemon=$1 what=$2
  shift 2
  local deadline=$((SECONDS + START_TIMEOUT)) pid
  pid=$(pid_of "$daemon")
  # No redirection here: a TERM trap that fires inside a redirected function call inherits the redirection,
  # and the cleanup's messages would vanish into /dev/null. The checks are quiet by themselves.
  until "$@"; do
    if ! alive "$pid"; then
      tail -n 20 "$DIR/log/$daemon.out" "$DIR"/log/*"$daemon"*.log >&2 2>/dev/null || true
      die "$daemon exited while waiting for $what (logs in $DIR/log)"
    fi
    [ $SECONDS -lt "$deadline" ] || die "timed out after ${START_TIMEOUT}s waiting for $what (logs in $DIR/log)"
    sleep 0.05
  done
}

osd_up() { ceph --conf "$DIR/ceph.conf" --connect-timeout 5 osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {
  cat >"$DIR/ceph.conf" <<EOF
# Throwaway single-node cluster written by dev/rgw.sh; everything stays under $DIR.
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
# No cephx: the cluster is private to one test run on loopback.
auth cluster required = none
auth service required = none
auth client required = none
# Without this radosgw loops on "get_initial_auth_request returned -13".
ms mon client mode = crc
# msgr v2 only, so the single mon port is all we need to choose.
ms bind msgr1 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
osd objectstore = memstore
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
keyring = $DIR/keyring
[mon]
mon data = $DIR/mon/\$id
# Commits cluster map changes (pool creation, osd boot) in 50 ms instead of 1 s.
paxos propose interval = 0.05
[osd]
osd data = $DIR/osd/\$id
# memstore refuses writes past 1 GiB by default, which a few large uploads reach: benchmarks, 256 MiB pages.
memstore device bytes = 4294967296
# The data is thrown away anyway; do not wait for the mon to acknowledge shutdown.
osd mon shutdown timeout = 0.5
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
EOF
}

# Undoes a half-finished start so no daemon outlives a failed start.
cleanup_failed_start() {
  local rc=$?
  if [ $rc -ne 0 ] && [ -f "$DIR/$MARKER" ]; then
    log "start failed; stopping what was started"
    # The pool-creating ceph session is our child, not a daemon in DIR/pids; timeout passes the TERM on to it.
    if [ -n "${POOLS_JOB:-}" ]; then
      kill "$POOLS_JOB" 2>/dev/null || true
      wait "$POOLS_JOB" 2>/dev/null || true
    fi
    stop_cluster || true
  fi
}

start_cluster() {
  [ -e "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && die "$DIR is not empty; give start a new or empty directory"
  ensure_packages
  START_MS=$(date +%s%3N)
  mkdir -p "$DIR"/{run,log,mon,osd/0,rgw,crash}
  touch "$DIR/$MARKER" "$DIR/pids" "$DIR/keyring"
  trap cleanup_failed_start EXIT
  # Without these a killed start (a caller's timeout, Ctrl-C) would skip the EXIT trap and leave daemons.
  trap 'exit 143' TERM
  trap 'exit 130' INT

  FSID=$(uuidgen)
  MON_PORT=$(free_port)
  RGW_PORT=$(free_port)
  while [ "$RGW_PORT" = "$MON_PORT" ]; do RGW_PORT=$(free_port); done
  write_config
  export CEPH_CONF=$DIR/ceph.conf
  local conf=(--conf "$DIR/ceph.conf")

  monmaptool "${conf[@]}" --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >>"$DIR/log/bootstrap.log" 2>&1
  ceph-mon "${conf[@]}" -i a --mkfs --monmap "$DIR/monmap" >>"$DIR/log/bootstrap.log" 2>&1
  spawn mon ceph-mon "${conf[@]}" -i a -f
  wait_for mon "the mon on port $MON_PORT" port_open "$MON_PORT"
  mark "mon listening"

  # Two ceph sessions side by side: registering the OSD (so it can boot) and creating the pools
  # (about 55 ms of mon time per command). Pool commands share one session because each ceph CLI
  # start costs about 0.25 s of Python. Together this saves about 0.6 s of a 2 s start.
  local osd_uuid pool_commands=()
  osd_uuid=$(uuidgen)
  for pool in "${RGW_POOLS[@]}"; do
    pool_commands+=("osd pool create $pool" "osd pool application enable $pool rgw")
  done
  printf '%s\n' "${pool_commands[@]}" |
    timeout "$START_TIMEOUT" ceph "${conf[@]}" --connect-timeout "$START_TIMEOUT" >>"$DIR/log/pools.log" 2>&1 &
  POOLS_JOB=$!
  timeout "$START_TIMEOUT" ceph "${conf[@]}" --connect-timeout "$START_TIMEOUT" osd new "$osd_uuid" >>"$DIR/log/bootstrap.log" 2>&1 ||
    die "registering the OSD failed (see $DIR/log/bootstrap.log)"
  mark "osd registered"

  ceph-osd "${conf[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/bootstrap.log" 2>&1
  spawn osd ceph-osd "${conf[@]}" -i 0 -f
  # Waiting here matters: a librados client that starts before the OSD is up parks its requests
  # until the objecter's 5 s tick, which made start-up 5 s slower.
  wait_for osd "the OSD to be up" osd_up
  mark "osd up"
  wait "$POOLS_JOB" || die "creating the RGW pools failed (see $DIR/log/pools.log)"
  POOLS_JOB=
  mark "pools created"

  # Blocks until the pools' placement groups are active, so it doubles as the "ready for writes" check.
  ACCESS_KEY=RGW$(random_hex 10 | tr a-f A-F)
  SECRET_KEY=$(random_hex 20)
  timeout "$START_TIMEOUT" radosgw-admin "${conf[@]}" user create --uid tester --display-name "rgw.sh tester" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >>"$DIR/log/bootstrap.log" 2>&1 ||
    die "creating the S3 user failed: is the OSD up? (see $DIR/log/bootstrap.log and $DIR/log/osd.0.log)"
  mark "s3 user created"

  spawn rgw radosgw "${conf[@]}" -n client.rgw -f
  wait_for rgw "RGW to answer HTTP on port $RGW_PORT" curl -fs -o /dev/null "http://127.0.0.1:$RGW_PORT/"
  mark "rgw answers http"

  trap - EXIT TERM INT
  if [ -n "${RGW_OWNER_PID:-}" ]; then
    # The watchdog execs `stop`, so stop sees its own pid in the list and skips it.
    (
      while kill -0 "$RGW_OWNER_PID" 2>/dev/null; do sleep 1; done
      exec bash "$SCRIPT" stop "$DIR"
    ) </dev/null >>"$DIR/log/watchdog.log" 2>&1 &
    echo "watchdog $!" >>"$DIR/pids"
  fi

  log "started in $(($(date +%s%3N) - START_MS)) ms: mon 127.0.0.1:$MON_PORT, rgw http://127.0.0.1:$RGW_PORT, logs in $DIR/log"
  printf '{"endpoint":"http://127.0.0.1:%s","region":"%s","accessKeyId":"%s","secretAccessKey":"%s","dir":"%s"}\n' \
    "$RGW_PORT" "$REGION" "$ACCESS_KEY" "$SECRET_KEY" "$DIR"
}

# Sends $1 to each listed daemon that is still ours, then waits up to $2 seconds for them to exit.
signal_and_wait() {
  local sig=$1 seconds=$2 pid
  shift 2
  for pid in "$@"; do ours "$pid" && kill "-$sig" "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + seconds))
  for pid in "$@"; do
    while alive "$pid" && [ $SECONDS -lt "$deadline" ]; do sleep 0.05; done
  done
}

stop_cluster() {
  [ -f "$DIR/$MARKER" ] || die "$DIR was not created by rgw.sh start (no $MARKER); refusing to touch it"
  local watchdog rgw osd mon pid
  watchdog=$(pid_of watchdog)
  rgw=$(pid_of rgw)
  osd=$(pid_of osd)
  mon=$(pid_of mon)
  # When the watchdog itself runs stop (it execs into it), it must not end itself. Its pending
  # `sleep 1` child goes too, so nothing of ours lingers after stop returns.
  if [ -n "$watchdog" ] && [ "$watchdog" != $$ ] && ours "$watchdog"; then
    kill "$watchdog" 2>/dev/null || true
    pkill -TERM -P "$watchdog" 2>/dev/null || true
  fi
  # One at a time, clients first: RGW's shutdown talks to the OSD and the OSD's to the mon. Stopped
  # together, RGW hangs on its OSD requests for 10 s or more; in order, the three exit in about 0.4 s.
  signal_and_wait TERM 10 $rgw
  signal_and_wait TERM 10 $osd
  signal_and_wait TERM 10 $mon
  for pid in $rgw $osd $mon; do
    if alive "$pid"; then
      log "pid $pid did not exit on SIGTERM; sending SIGKILL"
      signal_and_wait KILL 5 "$pid"
    fi
  done
  for pid in $rgw $osd $mon; do
    alive "$pid" && die "pid $pid is still running; $DIR left in place"
  done
  rm -rf "$DIR"
  log "stopped and removed $DIR"
}

[ $# -eq 2 ] || usage
DIR=$(realpath -m "$2")
case "$1" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
