#!/usr/bin/env bash
# Restarts the API's PostgreSQL under load and checks that the API recovers
# without a restart of its own, and that no cart add it answered 200 is lost:
# internal/faults's TestAPostgreSQLRestartUnderLoad, against a PostgreSQL
# cluster of its own, started here on a free port in a temporary directory
# (Debian's postgresql package, initdb and pg_ctl) and removed at the end.
#
# Not part of `make test`: CI's PostgreSQL is shared with every other test,
# and restarting it would fail them. Run it by hand:
#
#	scripts/pg-restart.sh              # an immediate (crash) restart
#	scripts/pg-restart.sh fast         # a clean one: clients disconnected, checkpoint
#
# The README's "Reliability" section records its latest result.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-immediate}
case $mode in immediate | fast | smart) ;; *) echo "usage: $0 [immediate|fast|smart]" >&2; exit 2 ;; esac

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
	echo "pg-restart: needs Debian's postgresql package (initdb, pg_ctl)" >&2
	exit 1
fi
# initdb and postgres refuse to run as root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ "$(id -u)" = 0 ] && chown postgres "$dir"
ctl() { as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" "$@"; }
cleanup() {
	ctl -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
ctl -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
echo "pg-restart: a private PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, in $dir; restart mode $mode" >&2

export FAULTS_PG_RESTART_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export FAULTS_PG_RESTART="$(declare -f as_pg); as_pg '$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -m $mode -w restart >/dev/null"
go test -count=1 -v -run '^TestAPostgreSQLRestartUnderLoad$' ./internal/faults
