#!/usr/bin/env bash
# The load harness on every engine, one after the other, as the README's
# Load harness table and docs/capacity.md were measured: for each step it
# creates a fresh PostgreSQL database, starts the API on it (on 127.0.0.1:8000,
# which must be free), runs cmd/loadtest against it, and stops it.
#
#   scripts/load-engines.sh [STEP...]     default: all of them, about 35 minutes
#
# Steps: db (every scenario and floor), cache, cached_db, file, signed_cookies
# (the session scenarios), db-1k and db-1m (the session checks with 1,000 and
# 1,000,000 other sessions in django_session), clear (the mixed profile while
# clearsessions removes 1,000,000 expired sessions). Output goes to
# $OUT (default ./var/load-engines), one file per step, and all.txt.
#
# Run it on a quiet machine: the floors are measured in the same run, so
# the ratios survive some noise, but not another test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379/0}
OUT=${OUT:-./var/load-engines}
DB=djsessions_load
API=127.0.0.1:8000

tmp=$(mktemp -d)
api_pid=
cleanup() {
	[ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
	psql -qX "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/api" ./cmd/api
go build -o "$tmp/loadtest" ./cmd/loadtest
mkdir -p "$OUT"

# step NAME ENGINE DATABASE-FOR-THE-FLOORS LOADTEST-FLAGS...: the floors
# that read django_session need the API's database; on the engines that keep
# sessions elsewhere, pass "" and they are skipped.
step() {
	local name=$1 engine=$2 floordb=$3
	shift 3
	psql -qX "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
	local url="$PG/$DB?sslmode=disable" dir="$tmp/sessions-$name"
	mkdir -p "$dir"
	env SECRET_KEY=load-engines-secret-key-0123456789-0123456789 LOG_LEVEL=error \
		DATABASE_URL="$url" SESSION_ENGINE="$engine" LISTEN_ADDR="$API" \
		SESSION_CACHE_URL="$REDIS" SESSION_CACHE_KEY_PREFIX="load-engines-$name:" \
		SESSION_FILE_PATH="$dir" "$tmp/api" >"$OUT/$name.api.log" 2>&1 &
	api_pid=$!
	for _ in $(seq 100); do
		curl -sf "http://$API/readyz" >/dev/null && break
		sleep 0.1
	done
	echo "== $name ($engine) $(date -u +%FT%TZ)" | tee -a "$OUT/all.txt"
	"$tmp/loadtest" -target "http://$API" -database-url "${floordb:+$url}" -redis-url "$REDIS" "$@" \
		2>"$OUT/$name.progress" | tee "$OUT/$name.txt" | tee -a "$OUT/all.txt"
	kill "$api_pid"
	wait "$api_pid" 2>/dev/null || true
	api_pid=
	redis-cli -u "$REDIS" --scan --pattern "load-engines-$name:*" | xargs -r redis-cli -u "$REDIS" del >/dev/null
}

sessions=anon-check,user-check,visit,cart-add,spa-mixed
for s in "${@:-db cache cached_db file signed_cookies db-1k db-1m clear}"; do
	for s in $s; do
		case $s in
		db) step db db yes -runs 3 -duration 5s ;;
		cache) step cache cache "" -runs 3 -duration 5s -scenarios floor-redis-get,$sessions -stats-settle 0s ;;
		cached_db) step cached_db cached_db yes -runs 3 -duration 5s -scenarios floor-redis-get,$sessions ;;
		file) step file file "" -runs 3 -duration 5s -scenarios $sessions -stats-settle 0s ;;
		signed_cookies) step signed_cookies signed_cookies "" -runs 3 -duration 5s -scenarios $sessions -stats-settle 0s ;;
		db-1k) step db-1k db yes -runs 3 -duration 5s -scenarios anon-check,user-check -seed-live 1000 ;;
		db-1m) step db-1m db yes -runs 3 -duration 5s -scenarios anon-check,user-check -seed-live 1000000 ;;
		clear) step clear db yes -runs 1 -duration 40s -scenarios spa-mixed -seed-expired 1000000 \
			-during "env DATABASE_URL=$PG/$DB?sslmode=disable $tmp/api clearsessions" ;;
		*) echo "load-engines.sh: no step $s" >&2; exit 2 ;;
		esac
	done
done
