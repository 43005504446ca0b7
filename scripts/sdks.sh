#!/usr/bin/env bash
# Writes the TypeScript, Python and Go SDKs of sdk-schema/schema.json into <out> (default: sdk) with
# Pulumi's own generators (scripts/sdkgen, built once into $EC2FLEET_CACHE/bin), then pins the Go
# module's dependencies (go.sum). `make sdks` writes the committed sdk/; the staleness test writes a
# scratch copy and compares.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/sdk}"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
gen="$CACHE/bin/sdkgen"
stamp="$gen.sha256"
want="$(cat "$here"/scripts/sdkgen/{main.go,go.mod,go.sum} | sha256sum | cut -d' ' -f1)"
if [ ! -x "$gen" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "sdks: building the generator" >&2
  mkdir -p "$CACHE/bin"
  (cd "$here/scripts/sdkgen" && GOFLAGS="-trimpath -buildvcs=false" go build -o "$gen.tmp" .)
  mv "$gen.tmp" "$gen"
  echo "$want" > "$stamp"
fi
"$gen" "$here/sdk-schema/schema.json" "$out"
# The Go SDK's go.mod names only the Pulumi SDK, at the generator's floor (v3.269.0), whose
# dependencies the module proxy here does not all serve; the version the generator itself is built
# with (the CLI's) does. Tidy then records the rest, as its users' builds need.
sdk="$(cd "$here/scripts/sdkgen" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
(cd "$out/go" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$sdk" && go mod tidy >&2)
