# Procura — the two commands a newcomer runs are `make dev` and `make test`.

GO ?= go
DSFR := node_modules/@gouvfr/dsfr/dist

.PHONY: dev test bench build vet frontend clean

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
