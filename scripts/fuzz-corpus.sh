#!/usr/bin/env bash
# Runs each fuzz target of the parsers of outside input for a few seconds
# (FUZZTIME, default 8s) and keeps up to 25 of the inputs it found
# interesting as the checked-in seed corpus (<package>/testdata/fuzz), which
# every `go test` (so `make test`) replays. Run it after changing a parser.
set -u
cd "$(dirname "$0")/.."
cache=$(go env GOCACHE)/fuzz
for spec in authz:FuzzAuthorizeParameters authz:FuzzParseAuthorize authz:FuzzDecodeRequest authz:FuzzTokenEndpoints authz:FuzzCheckClientCredentials db:FuzzIsUUID web:FuzzParseForm keyring:FuzzVerify identity:FuzzValidBirthdate identity:FuzzValidName identity:FuzzValidEmail identity:FuzzValidate franceconnect:FuzzComplete franceconnect/sandbox:FuzzAuthorize franceconnect/sandbox:FuzzToken franceconnect/sandbox:FuzzEndSession; do
  pkg=${spec%%:*}; name=${spec#*:}
  ./scripts/with-postgres.sh go test -run '^$' -fuzz "^$name\$" -fuzztime "${FUZZTIME:-8s}" -parallel 1 "./$pkg" > "/tmp/fuzz-$name.log" 2>&1 || echo "FAILED $spec"
  src="$cache/procura/$pkg/$name"
  if [ -d "$src" ]; then
    mkdir -p "$pkg/testdata/fuzz/$name"
    ls -S "$src" | tail -n 25 | while read -r f; do cp "$src/$f" "$pkg/testdata/fuzz/$name/"; done
  fi
  echo "$spec: $(ls "$pkg/testdata/fuzz/$name" 2>/dev/null | wc -l) seeds"
done
