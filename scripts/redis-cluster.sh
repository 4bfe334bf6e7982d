#!/usr/bin/env bash
# A throwaway Redis Cluster on loopback, for the tests and scripts/horizontal.sh:
# masters of Debian's redis-server with no replica and nothing on disk but
# their cluster state, under DIR.
#
#   scripts/redis-cluster.sh start DIR [MASTERS]   starts MASTERS (default 3) masters
#                                                  on free ports and prints the
#                                                  cluster's redis-cluster:// URL
#   scripts/redis-cluster.sh stop DIR              kills every master under DIR
#   scripts/redis-cluster.sh kill DIR PORT         kills one master, as a crash would
#   scripts/redis-cluster.sh restart DIR PORT      starts it again, empty; it takes
#                                                  back its slots from its nodes.conf
#
# cluster-require-full-coverage is off, as it should be in production for the
# session engines: with a master down, the others keep serving their slots
# (the default stops the whole cluster). cluster-node-timeout is one second
# so that a test sees a failure quickly.
set -euo pipefail

die() { echo "redis-cluster.sh: $*" >&2; exit 1; }

node() { # node DIR PORT: starts the master on PORT; fails if it does not answer
	local dir=$1/$2
	mkdir -p "$dir"
	(cd "$dir" && redis-server --port "$2" --bind 127.0.0.1 --cluster-enabled yes \
		--cluster-config-file nodes.conf --cluster-node-timeout 1000 \
		--cluster-require-full-coverage no --save "" --appendonly no \
		--daemonize yes --pidfile "$dir/pid" --logfile "$dir/log")
	for _ in $(seq 200); do
		redis-cli -p "$2" ping >/dev/null 2>&1 && return 0
		# A port taken between free_port and redis-server's bind: the
		# server has exited, no use waiting.
		grep -q 'Address already in use' "$dir/log" 2>/dev/null && break
		sleep 0.05
	done
	[ -e "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null
	return 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports are drawn below the kernel's ephemeral range, bus port included:
# there, an outgoing connection of a busy test run cannot be holding one
# (a listening check does not see those, and redis-server's bind would fail).
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
span=$((ephemeral_low - 10000 - 10000))
[ "$span" -ge 1000 ] || span=10000

free_port() { # a port that, and whose cluster bus port (+10000), nothing listens on
	local p
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % span))
		if ! listening "$p" && ! listening $((p + 10000)); then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

ok() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

case "${1:-}" in
start)
	[ $# -ge 2 ] || die "usage: $0 start DIR [MASTERS]"
	dir=$2 masters=${3:-3}
	mkdir -p "$dir"
	ports=()
	for _ in $(seq "$masters"); do
		for try in 1 2 3 4 5; do
			p=$(free_port)
			node "$dir" "$p" && break
			[ $try = 5 ] && die "the master on port $p does not answer (see $dir/$p/log)"
		done
		ports+=("$p")
	done
	addrs=("${ports[@]/#/127.0.0.1:}")
	redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
		die "redis-cli --cluster create failed (see $dir/create.log)"
	for _ in $(seq 200); do
		all=1
		for p in "${ports[@]}"; do ok "$p" || all=0; done
		if [ $all = 1 ]; then
			(IFS=,; echo "redis-cluster://${addrs[*]}")
			exit 0
		fi
		sleep 0.05
	done
	die "the cluster did not come up (see $dir/*/log)"
	;;
stop)
	[ $# -eq 2 ] || die "usage: $0 stop DIR"
	for pid in "$2"/*/pid; do
		[ -e "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
	done
	;;
kill)
	[ $# -eq 3 ] || die "usage: $0 kill DIR PORT"
	kill -9 "$(cat "$2/$3/pid")"
	while listening "$3"; do sleep 0.05; done
	;;
restart)
	[ $# -eq 3 ] || die "usage: $0 restart DIR PORT"
	node "$2" "$3" || die "the master on port $3 does not answer (see $2/$3/log)"
	for _ in $(seq 200); do
		ok "$3" && exit 0
		sleep 0.05
	done
	die "the master on port $3 did not rejoin (see $2/$3/log)"
	;;
*)
	die "usage: $0 start|stop|kill|restart DIR ..."
	;;
esac
