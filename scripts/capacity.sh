#!/usr/bin/env bash
# Weighs one engine's sessions as docs/capacity.md reports them:
#
#   scripts/capacity.sh ENGINE [cmd/capacity flags...]
#   REDIS=cluster scripts/capacity.sh cache -sessions 1000
#
# It builds the API and cmd/capacity into a temporary directory, creates a
# fresh PostgreSQL database capacity_ENGINE (dropped again at the end), for
# cache and cached_db starts a redis-server of its own (REDIS=cluster: a
# three-master cluster, by scripts/redis-cluster.sh), so that used_memory
# grows with these sessions only, starts the API on API_ADDR, and runs
# cmd/capacity against it. The API hashes passwords with 1,000 iterations
# (the least it accepts): logins are fast, and a session's bytes are the
# same, since it keeps a hash of the password hash of fixed length.
# This is no load test: two sessions are made at a time.
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
engine=${1:?usage: scripts/capacity.sh ENGINE [cmd/capacity flags...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
pg=${PGURL:-postgres://postgres@127.0.0.1:5432}
addr=${API_ADDR:-127.0.0.1:8731}
redis_port=${REDIS_PORT:-6391}
db=capacity_$engine
tmp=$(mktemp -d)
api=
cleanup() {
	[ -n "$api" ] && kill "$api" 2>/dev/null && wait "$api" 2>/dev/null
	[ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")"
	[ -d "$tmp/cluster" ] && "$root/scripts/redis-cluster.sh" stop "$tmp/cluster"
	psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/api" ./cmd/api && go build -o "$tmp/capacity" ./cmd/capacity)
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"

export SECRET_KEY=capacity-plan-secret-key-0123456789abcdef
export DATABASE_URL="$pg/$db?sslmode=disable"
export SESSION_ENGINE=$engine SESSION_CACHE_KEY_PREFIX=capacity:
export SESSION_FILE_PATH=$tmp/sessions PASSWORD_HASHER_ITERATIONS=1000
export LISTEN_ADDR=$addr LOG_LEVEL=warn
mkdir "$SESSION_FILE_PATH"
SESSION_CACHE_URL=redis://127.0.0.1:6379/0 # unused but for cache and cached_db
if [ "$engine" = cache ] || [ "$engine" = cached_db ]; then
	if [ "${REDIS:-}" = cluster ]; then
		SESSION_CACHE_URL=$("$root/scripts/redis-cluster.sh" start "$tmp/cluster" 3)
	else
		redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
			--daemonize yes --dir "$tmp" --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
		for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
		SESSION_CACHE_URL=redis://127.0.0.1:$redis_port/0
	fi
fi
export SESSION_CACHE_URL

"$tmp/api" 2>"$tmp/api.log" &
api=$!
for _ in $(seq 100); do curl -fs "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
"$tmp/capacity" -target "http://$addr" -engine "$engine" -database-url "$DATABASE_URL" \
	-redis-url "$SESSION_CACHE_URL" -key-prefix capacity: -session-dir "$SESSION_FILE_PATH" \
	-api-binary "$tmp/api" "$@"
