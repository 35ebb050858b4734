#!/usr/bin/env bash
# A three-machine Slurm cluster on this machine, built from real parts in network namespaces:
#   login  10.231.7.1  sshd (port 22), slurmctld
#   node1  10.231.7.2  slurmd, 2 CPUs
#   node2  10.231.7.3  slurmd, 2 CPUs
# joined by veth pairs on a private bridge (reefbr0) that holds the submitting machine's address,
# 10.231.7.254. Each node has its own hostname (UTS namespace) and /etc/hosts (/etc/netns/reef-<node>/hosts,
# mounted over /etc/hosts for its processes); the file system is shared, as on a cluster with a
# shared home. munged is the machine's own (its socket is a file, reachable from every namespace).
# Nothing outside the machine is addressed: no route leaves the /24.
#
#   netns_cluster.sh up [DIR]          start it (state, logs and keys in DIR, default /tmp/reef-netns-cluster)
#   netns_cluster.sh down [DIR]        stop every daemon and remove the namespaces, the bridge and the hosts files
#   netns_cluster.sh status [DIR]      the nodes as the controller sees them
#   netns_cluster.sh exec NODE CMD...  run CMD on login, node1 or node2 (with SLURM_CONF set)
#   netns_cluster.sh crash NODE [DIR]  power loss: every process of the node killed at once
#   netns_cluster.sh boot NODE [DIR]   start a crashed compute node's slurmd again
#   netns_cluster.sh cut NODE|mend NODE  take the node's link down or up again (login's link is
#                                      also the controller's, so its nodes go down with it)
#   netns_cluster.sh cut submit|mend submit  cut this machine off the login node, nothing else
#
# After `up`, DIR/user_key logs in as root@10.231.7.1 and DIR/known_hosts knows the login node.
# Needs root, iproute2, OpenSSH's server, munge and Slurm (scripts/install-deps.sh installs them).
set -euo pipefail

readonly NET=10.231.7 BRIDGE=reefbr0 NODES="login node1 node2"
declare -A ADDR=([login]=$NET.1 [node1]=$NET.2 [node2]=$NET.3)

die() {
  echo "netns_cluster: $*" >&2
  exit 1
}

check_node() { [[ -n "${ADDR[$1]:-}" ]] || die "unknown node '$1': use one of $NODES"; }

# Runs a command on NODE: its network namespace, its hostname and /etc/hosts, the cluster's
# slurm.conf. nsenter rather than `ip netns exec`, which would mount a /sys without the cgroup
# hierarchy that slurmd needs.
on() {
  local node=$1
  shift
  SLURM_CONF="$DIR/slurm.conf" nsenter --net="/run/netns/reef-$node" unshare --uts --mount --propagation private -- \
    sh -c 'hostname "$0" && mount --bind "/etc/netns/reef-$0/hosts" /etc/hosts && exec "$@"' "$node" "$@"
}

# Starts a daemon on NODE in the background; its pid goes to DIR/pids/NAME.
start_daemon() {
  local node=$1 name=$2
  shift 2
  on "$node" "$@" >>"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/pids/$name"
}

write_slurm_conf() {
  cat >"$DIR/slurm.conf" <<CONF
ClusterName=reefnetns
SlurmctldHost=login(${ADDR[login]})
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/logs/slurmctld.log
SlurmdLogFile=$DIR/logs/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# A node that stops answering is down within seconds (the default is 5 minutes), and comes back
# by itself when its slurmd registers again.
SlurmdTimeout=10
ReturnToService=2
KillWait=10
# A requeued job may start again after this many seconds (the default, 120, is long for a demo).
AuthInfo=cred_expire=10
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
NodeName=node1 NodeAddr=${ADDR[node1]} CPUs=2 State=UNKNOWN
NodeName=node2 NodeAddr=${ADDR[node2]} CPUs=2 State=UNKNOWN
PartitionName=compute Nodes=node[1-2] Default=YES MaxTime=INFINITE State=UP
CONF
}

make_network() {
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.254/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local node
  for node in $NODES; do
    ip netns add "reef-$node"
    ip link add "rf-$node" type veth peer name eth0 netns "reef-$node"
    ip link set "rf-$node" master "$BRIDGE" up
    ip netns exec "reef-$node" ip addr add "${ADDR[$node]}/24" dev eth0
    ip netns exec "reef-$node" ip link set eth0 up
    ip netns exec "reef-$node" ip link set lo up
    mkdir -p "/etc/netns/reef-$node"
    {
      echo "127.0.0.1 localhost"
      echo "${ADDR[login]} login"
      echo "${ADDR[node1]} node1"
      echo "${ADDR[node2]} node2"
      echo "$NET.254 submit"
    } >"/etc/netns/reef-$node/hosts"
  done
}

start_sshd() {
  mkdir -p "$DIR/ssh" /run/sshd
  [[ -f "$DIR/ssh/host_key" ]] || ssh-keygen -q -t ed25519 -N "" -f "$DIR/ssh/host_key"
  [[ -f "$DIR/user_key" ]] || ssh-keygen -q -t ed25519 -N "" -f "$DIR/user_key" -C reef-netns
  cp "$DIR/user_key.pub" "$DIR/ssh/authorized_keys"
  echo "${ADDR[login]} $(cut -d' ' -f1,2 "$DIR/ssh/host_key.pub")" >"$DIR/known_hosts"
  cat >"$DIR/ssh/sshd_config" <<CONF
Port 22
ListenAddress ${ADDR[login]}
HostKey $DIR/ssh/host_key
AuthorizedKeysFile $DIR/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $DIR/run/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
ClientAliveInterval 2
ClientAliveCountMax 3
SetEnv SLURM_CONF=$DIR/slurm.conf
CONF
  start_daemon login sshd /usr/sbin/sshd -D -e -f "$DIR/ssh/sshd_config"
}

start_munge() {
  if ! (munge -n | unmunge) >/dev/null 2>&1; then
    mkdir -p /run/munge
    chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged --force
    touch "$DIR/run/started-munge"
  fi
}

# The controller's word on the nodes: "node1 idle" lines (sinfo bounded: it hangs while the
# controller starts).
node_states() {
  timeout 3 nsenter --net=/run/netns/reef-login env SLURM_CONF="$DIR/slurm.conf" sinfo -h -N -o '%N %t' 2>/dev/null || true
}

# Waits until NODE (or with "all", every node) is up: idle, or running jobs.
wait_up() {
  local tries=0 states
  while ((tries++ < 150)); do
    states=$(node_states)
    if [[ -n "$states" ]] && ! grep -E "${1/all/node}[0-9]* +(down|drain|unk|fail)|${1/all/node}[0-9]* +[a-z]+\*" <<<"$states" >/dev/null &&
      { [[ $1 == all ]] || grep -q "^$1 " <<<"$states"; }; then
      return 0
    fi
    sleep 0.2
  done
  die "$1 did not come up (last seen: '${states:-nothing}'); see $DIR/logs/"
}

boot() {
  check_node "$1"
  [[ "$1" != login ]] || die "boot starts a compute node: node1 or node2"
  start_daemon "$1" "slurmd-$1" slurmd -D -N "$1" -f "$DIR/slurm.conf"
  wait_up "$1"
}

up() {
  [[ $EUID -eq 0 ]] || die "needs root (network namespaces, a bridge and Slurm's daemons)"
  command -v slurmctld >/dev/null || die "Slurm is not installed: run scripts/install-deps.sh"
  down >/dev/null 2>&1 || true
  mkdir -p "$DIR"/{state,spool/node1,spool/node2,logs,pids,run}
  ip netns add reef-probe 2>/dev/null && ip netns del reef-probe ||
    die "cannot create network namespaces here (ip netns add failed): a container without CAP_SYS_ADMIN?"
  make_network
  write_slurm_conf
  start_munge
  start_sshd
  start_daemon login slurmctld slurmctld -D -i -f "$DIR/slurm.conf"
  boot node1
  boot node2
  echo "cluster up: ssh -i $DIR/user_key -o UserKnownHostsFile=$DIR/known_hosts root@${ADDR[login]}"
}

down() {
  local node pidfile
  for node in $NODES; do
    ip netns pids "reef-$node" 2>/dev/null | xargs -r kill -9 || true
  done
  for pidfile in "$DIR"/pids/*; do
    [[ -f "$pidfile" ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  for node in $NODES; do
    ip netns del "reef-$node" 2>/dev/null || true
    rm -rf "/etc/netns/reef-$node"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  ip route del blackhole "${ADDR[login]}/32" 2>/dev/null || true
  if [[ -f "$DIR/run/started-munge" ]]; then
    pkill -x munged || true
    rm -f "$DIR/run/started-munge"
  fi
  rm -rf "$DIR/state" "$DIR/spool"
}

crash() {
  check_node "$1"
  ip netns pids "reef-$1" | xargs -r kill -9
}

cmd=${1:-}
case "$cmd" in
  up | down | status)
    DIR=$(realpath -m "${2:-/tmp/reef-netns-cluster}")
    ;;
  crash | boot)
    [[ $# -ge 2 ]] || die "usage: $0 $cmd NODE [DIR]"
    DIR=$(realpath -m "${3:-/tmp/reef-netns-cluster}")
    ;;
  exec)
    [[ $# -ge 3 ]] || die "usage: $0 exec NODE COMMAND..."
    DIR=$(realpath -m "${REEF_NETNS_DIR:-/tmp/reef-netns-cluster}")
    ;;
esac
case "$cmd" in
  up) up ;;
  down) down ;;
  status) on login sinfo -N -o '%N %t %c %O' ;;
  exec)
    check_node "$2"
    node=$2
    shift 2
    on "$node" "$@"
    ;;
  crash) crash "$2" ;;
  boot) boot "$2" ;;
  cut | mend)
    [[ $# -ge 2 ]] || die "usage: $0 $cmd NODE|submit"
    if [[ $2 == submit ]]; then
      # Both directions dropped by /32 blackhole routes, more specific than the bridge's /24.
      verb=$([[ $cmd == cut ]] && echo add || echo del)
      ip route "$verb" blackhole "${ADDR[login]}/32"
      ip netns exec reef-login ip route "$verb" blackhole "$NET.254/32"
    else
      check_node "$2"
      ip link set "rf-$2" "$([[ $cmd == cut ]] && echo down || echo up)"
    fi
    ;;
  *) die "usage: $0 up|down|status [DIR] | exec NODE CMD... | crash|boot NODE [DIR] | cut|mend NODE|submit" ;;
esac
