# Procura — the two commands a newcomer runs are `make dev` and `make test`.

GO ?= go
DSFR := node_modules/@gouvfr/dsfr/dist

.PHONY: dev test bench soak build vet frontend clean

## dev: fetch the front-end packages, then run Procura on its embedded defaults
dev: frontend
	$(GO) run ./cmd/procura dev

## test: the whole test suite (PostgreSQL, SQLite, HTTP, browser), as CI runs it
test: frontend
	./scripts/test.sh

## bench: the performance figures of DESIGN.md §10 (not part of `make test`): the Go
## benchmarks, then the load test (procura dev on PostgreSQL driven by cmd/loadgen);
## see scripts/bench.sh for its knobs and BENCHMARKS.md for the figures
bench: frontend
	GO=$(GO) ./scripts/with-postgres.sh ./scripts/bench.sh

## soak: the soak test of issue 13 (not part of `make test`): procura dev on
## PostgreSQL driven by cmd/loadgen at half its maximum for SOAK_DURATION
## (30m): fails unless 0 errors and the server's RSS stays flat. The maximum
## is measured first (SOAK_MAX_DURATION, 20s) unless SOAK_RATE (logins/s)
## is given. Same machinery as `make bench` (scripts/bench.sh).
SOAK_DURATION ?= 30m
SOAK_MAX_DURATION ?= 20s
SOAK_RATE ?=
SOAK_PORT ?= 18189
soak: frontend
	GO=$(GO) BENCH_GO=0 BENCH_PEER=0 BENCH_OUT=soak \
	BENCH_MODE=$(if $(SOAK_RATE),rate,both) BENCH_RATE=$(or $(SOAK_RATE),100) \
	BENCH_DURATION=$(SOAK_DURATION) BENCH_MAX_DURATION=$(SOAK_MAX_DURATION) BENCH_PORT=$(SOAK_PORT) \
	BENCH_LOADGEN_FLAGS="-soak $(SOAK_LOADGEN_FLAGS)" \
	./scripts/with-postgres.sh ./scripts/bench.sh

## build: the procura binary, with the DSFR embedded
build: frontend
	$(GO) build -o bin/procura ./cmd/procura

vet:
	$(GO) vet ./...

## frontend: the DSFR from npm, copied under static/dsfr to be embedded (never committed)
frontend: static/dsfr/dsfr.min.css

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

static/dsfr/dsfr.min.css: node_modules/.package-lock.json
	rm -rf static/dsfr && mkdir -p static/dsfr/utility
	cp $(DSFR)/dsfr.min.css $(DSFR)/dsfr.module.min.js $(DSFR)/dsfr.nomodule.min.js static/dsfr/
	cp -r $(DSFR)/fonts $(DSFR)/icons $(DSFR)/favicon static/dsfr/
	cp $(DSFR)/utility/utility.min.css static/dsfr/utility/
	rm -f static/dsfr/fonts/*.woff
	touch $@

clean:
	rm -rf bin static/dsfr node_modules
