# The two commands of the README are `make run` and `make test`.

GO ?= go

.PHONY: run test bench fmt vet build

## run: start the API on the embedded default (SQLite under ./var/)
run:
	$(GO) run ./cmd/api

## test: every test, with the race detector, against this machine's PostgreSQL and Redis
test:
	./.ci/setup
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## bench: the benchmarks (session load and save on each database, signing)
bench:
	./.ci/setup
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fmt:
	gofmt -w .

build:
	$(GO) build -o bin/api ./cmd/api
