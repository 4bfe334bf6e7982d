#!/usr/bin/env bash
# The horizontal test: three API processes on one PostgreSQL database and one
# Redis Cluster, and the load harness's journey (log in, browse, fill a cart,
# log out, every answer checked) against one of them, then round the three,
# each request of a user to the next process. It fails on any error or lost
# cart addition, and prints the requests per second of one process and of
# three, and their ratio.
#
#	scripts/horizontal.sh [--short] [cached_db|cache|db]
#
# The engine named is SESSION_ENGINE (default cached_db; with db, no cluster
# is started). --short (make horizontal, in make test) runs each measure once
# for 3 s; the full run, three times for 10 s, and reports the median.
# Everything it starts runs under a temporary directory: the binaries (go
# build -o), the cluster (scripts/redis-cluster.sh), the processes' logs; a
# database horizontal_* is created for the run on the PostgreSQL server of
# TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432). All of it
# is stopped and removed on any exit.
#
# The processes hash passwords at PASSWORD_HASHER_ITERATIONS=1000, so that the
# journey's logins measure sessions rather than PBKDF2, and failed logins are
# not throttled (the journey makes none). On one machine the three processes
# share its cores with PostgreSQL, Redis and the client: the ratio says what
# the harness sees there, not what three machines would serve.
set -euo pipefail
cd "$(dirname "$0")/.."

short=0 engine=cached_db
for arg in "$@"; do
	case $arg in
	--short) short=1 ;;
	db | cache | cached_db) engine=$arg ;;
	*) echo "usage: $0 [--short] [cached_db|cache|db]" >&2; exit 2 ;;
	esac
done
# The full run reads django_session's writes per request from PostgreSQL's
# statistics too, which costs 22 s a run of waiting for them to settle.
if [ $short = 1 ]; then runs=1 duration=3s stats=""; else runs=3 duration=10s stats=yes; fi
workers=12 # virtual users, the same against one process and three
# The server of TEST_DATABASE_URL, as the tests use, if set.
pg=$(echo "${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}" | sed -E 's#^(postgres(ql)?://[^/?]*).*#\1#')

say() { echo "horizontal: $*" >&2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/horizontal.XXXXXX")
db=horizontal_$(date +%s)_$$
pids=()
cleanup() {
	status=$?
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ $status != 0 ]; then
		for log in "$dir"/api-*.log; do
			[ -s "$log" ] && { say "last lines of $log:"; tail -n 20 "$log" >&2; }
		done
	fi
	[ -d "$dir/redis" ] && scripts/redis-cluster.sh stop "$dir/redis"
	psql "$pg/postgres" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
		say "could not drop database $db"
	rm -rf "$dir"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the api and loadtest in $dir"
${GO:-go} build -o "$dir/api" ./cmd/api
${GO:-go} build -o "$dir/loadtest" ./cmd/loadtest

psql "$pg/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
url="$pg/$db?sslmode=disable"
cache=redis://127.0.0.1:6379/0 # not used by db
if [ "$engine" != db ]; then
	cache=$(scripts/redis-cluster.sh start "$dir/redis")
	say "Redis Cluster at $cache"
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start I: starts process I on a free port, waits until /readyz answers 2xx,
# and prints its URL; another port if the first was taken in between.
start() {
	local i=$1 port pid
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		DATABASE_URL=$url SECRET_KEY=horizontal-test-secret-key SESSION_ENGINE=$engine \
			SESSION_CACHE_URL=$cache LISTEN_ADDR=127.0.0.1:$port LOG_LEVEL=error \
			DATABASE_MAX_CONNS=8 PASSWORD_HASHER_ITERATIONS=1000 \
			"$dir/api" serve >>"$dir/api-$i.log" 2>&1 &
		pid=$!
		pids+=("$pid")
		for _ in $(seq 300); do
			if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
				echo "http://127.0.0.1:$port"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
	done
	say "api process $i did not become ready (see its log)"
	return 1
}

# Started one after the other, so that start's pids reach this shell.
urls=()
for i in 1 2 3; do
	start "$i" >"$dir/url"
	urls+=("$(cat "$dir/url")")
done
say "$engine, three processes: ${urls[*]}"

failed=0
# journey NAME TARGETS: runs the journey and shows its output without its
# progress lines; loadtest exits 1 on an error or a lost update.
journey() {
	say "the journey against $2"
	"$dir/loadtest" -targets "$2" -scenarios journey -runs $runs -duration $duration \
		-workers $workers -database-url "${stats:+$url}" >"$dir/$1.out" 2>"$dir/$1.err" || failed=1
	cat "$dir/$1.out" >&2
	sed 's/.*\r//' "$dir/$1.err" | grep -v '^ *$' >&2 || true
}
rate() { awk '$1 == "journey" { print $2 }' "$dir/$1.out"; }
summary() { grep -o 'in all .*' "$dir/$1.out" || echo "no summary"; }

journey one "${urls[0]}"
journey three "$(IFS=,; echo "${urls[*]}")"
one=$(rate one) three=$(rate three)
say "one process: ${one:-?} req/s ($(summary one))"
say "three processes: ${three:-?} req/s ($(summary three))"
if [ -n "$one" ] && [ -n "$three" ]; then
	say "three processes serve $(awk -v a="$three" -v b="$one" 'BEGIN { printf "%.2f", a / b }')× what one does" \
		"($engine, $(nproc) CPUs shared by everything)"
fi
if [ $failed != 0 ]; then
	say "FAILED: errors or lost updates (above)"
	exit 1
fi
