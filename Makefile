# The two commands of the README are `make run` and `make test`.

GO ?= go

# FUZZTIME is how long make fuzz runs each fuzz target (.ci/fuzz lists them).
FUZZTIME ?= 5s

.PHONY: run test test-on-cluster horizontal fuzz timing bench fmt vet build

# HTTP_PKGS are the packages whose tests run the API over HTTP (the ones
# importing internal/apitest) but sessionengine, whose tests name their
# engines, and djangointerop, whose tests share Django's own storage (db,
# signed_cookies) by design; ENGINES the session engines they run on again after the full
# run, on db. signed_cookies keeps nothing on the server and has tests of
# its own.
HTTP_PKGS = $(filter-out %/internal/sessionengine %/internal/djangointerop,$(shell $(GO) list \
	-f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... \
	| awk '{ for (i = 2; i <= NF; i++) if ($$i ~ /\/internal\/apitest$$/) { print $$1; break } }'))
ENGINES = cache cached_db file

# CLUSTER_PKGS run again on a Redis Cluster, on cache and cached_db: the
# Redis store's conformance suite, and the HTTP tests of the session, the
# accounts and the cart (the rest of the HTTP suite stores nothing the
# cluster would keep differently).
CLUSTER_PKGS = ./internal/session/redisstore ./internal/auth ./internal/cart ./internal/sessionapi

## run: start the API on the embedded default (SQLite under ./var/)
run:
	$(GO) run ./cmd/api

## test: every test, with the race detector, against this machine's PostgreSQL and Redis;
## then the HTTP tests once more on each other engine, the tests again on a Redis
## Cluster, the horizontal test's short run, a short run of each fuzz target, and
## the measured login-timing test alone, with nothing else running
test:
	./.ci/setup
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	test -n "$(HTTP_PKGS)"
	for e in $(ENGINES); do \
		APITEST_ENGINE=$$e $(GO) test -race -count=1 $(HTTP_PKGS) || exit 1; \
	done
	$(MAKE) test-on-cluster
	$(MAKE) horizontal
	$(MAKE) fuzz
	$(MAKE) timing

## test-on-cluster: CLUSTER_PKGS on cache and cached_db, on a three-master Redis
## Cluster started for the run (scripts/redis-cluster.sh) and stopped after it
test-on-cluster:
	dir=$$(mktemp -d) && trap './scripts/redis-cluster.sh stop '$$dir'; rm -rf '$$dir EXIT && \
	url=$$(./scripts/redis-cluster.sh start $$dir) && \
	for e in cache cached_db; do \
		TEST_REDIS_URL=$$url APITEST_ENGINE=$$e $(GO) test -race -count=1 $(CLUSTER_PKGS) || exit 1; \
	done

## horizontal: three API processes on one database and a Redis Cluster, the load
## harness's journey round them, against one process first (scripts/horizontal.sh
## --short: a few seconds each); fails on any error or lost cart addition
horizontal:
	GO=$(GO) ./scripts/horizontal.sh --short

## fuzz: each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m for a long run)
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./.ci/fuzz

## timing: the tests that measure time (no user enumeration by timing), in a step of their own
timing:
	TIMING_TESTS=1 $(GO) test -v -count=1 -run '^TestLoginTimingDoesNotTellWhetherAUserExists$$' ./internal/auth

## bench: the benchmarks (session load and save on each database, signing)
bench:
	./.ci/setup
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fmt:
	gofmt -w .

## vet: go vet, and gofmt's list of files it would change (none)
vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)

build:
	$(GO) build -o bin/api ./cmd/api
