# The two commands of the README are `make run` and `make test`.

GO ?= go

.PHONY: run test bench fmt vet build

# HTTP_PKGS are the packages whose tests run the API over HTTP (the ones
# importing internal/apitest) but sessionengine, whose tests name their
# engines; ENGINES the session engines they run on again after the full
# run, on db. signed_cookies keeps nothing on the server and has tests of
# its own.
HTTP_PKGS = $(filter-out %/internal/sessionengine,$(shell $(GO) list \
	-f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... \
	| awk '{ for (i = 2; i <= NF; i++) if ($$i ~ /\/internal\/apitest$$/) { print $$1; break } }'))
ENGINES = cache cached_db file

## run: start the API on the embedded default (SQLite under ./var/)
run:
	$(GO) run ./cmd/api

## test: every test, with the race detector, against this machine's PostgreSQL and Redis;
## then the HTTP tests once more on each other engine
test:
	./.ci/setup
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	test -n "$(HTTP_PKGS)"
	for e in $(ENGINES); do \
		APITEST_ENGINE=$$e $(GO) test -race -count=1 $(HTTP_PKGS) || exit 1; \
	done

## bench: the benchmarks (session load and save on each database, signing)
bench:
	./.ci/setup
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fmt:
	gofmt -w .

build:
	$(GO) build -o bin/api ./cmd/api
