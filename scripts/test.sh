#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: vet, staticcheck, the Go tests on
# PostgreSQL and SQLite (fuzz seed corpora included), and the browser tests
# (Debian's Chromium driven by playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium drives the browser tests; poppler-utils (pdftotext, pdftoppm)
# reads the PDF attestations back.
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium or poppler-utils is missing: install Debian's chromium and poppler-utils packages." >&2
    exit 1
  fi
  echo "Installing Chromium and poppler-utils with apt…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
fi

go vet -tags browser ./...
# staticcheck from the Go module proxy, pinned: its findings fail the run.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags browser ./...
exec ./scripts/with-postgres.sh go test -tags browser -count=1 -timeout 12m ./...
