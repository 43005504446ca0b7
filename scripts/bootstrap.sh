#!/usr/bin/env bash
# Builds the Pulumi CLI and its language hosts from the Go module proxy (no prebuilt binary can be
# downloaded here) and caches them under $EC2FLEET_CACHE/pulumi/<version>/bin. Idempotent: a second run
# with the binaries present does nothing. Prints the bin directory on stdout.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-3.274.1}"
YAML_VERSION="${YAML_VERSION:-v1.25.0}"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
OUT="$CACHE/pulumi/$PULUMI_VERSION"
BIN="$OUT/bin"

# The nodejs and python language hosts are separate, untagged Go modules that the module proxy reachable
# here does not serve at any version (checked 2026-11-28), so they are not built; see README.
want=(pulumi pulumi-language-yaml)
missing=()
for b in "${want[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done
if [ "${#missing[@]}" -eq 0 ]; then echo "$BIN"; exit 0; fi

mkdir -p "$BIN" "$OUT/mod"
cd "$OUT/mod"
# A throwaway module: `go install pkg@version` refuses modules whose go.mod has replace lines, and a
# dependency's replace lines are ignored, so the CLI's clipboard fork is repeated here.
cat > go.mod <<MOD
module ec2fleet.local/pulumibuild

go 1.26

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD

export GOFLAGS="-trimpath -buildvcs=false"
# Package paths (not module paths), so go.sum gets every module their builds need.
mods=("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")
echo "bootstrap: resolving ${mods[*]}" >&2
go get "${mods[@]}" >&2

ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
build() { # name package
  echo "bootstrap: building $1" >&2
  go build -ldflags "$ldflags" -o "$BIN/$1.tmp" "$2" >&2
  mv "$BIN/$1.tmp" "$BIN/$1"
}
# pulumi-yaml pins its own (older) Pulumi SDK; its own module graph keeps that build independent.
build_yaml() {
  mkdir -p "$OUT/yaml-mod"
  (cd "$OUT/yaml-mod"
   printf 'module ec2fleet.local/yamlbuild\n\ngo 1.26\n' > go.mod
   go get "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_VERSION" >&2
   echo "bootstrap: building pulumi-language-yaml" >&2
   go build -ldflags "-s -w" -o "$BIN/pulumi-language-yaml.tmp" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml >&2)
  mv "$BIN/pulumi-language-yaml.tmp" "$BIN/pulumi-language-yaml"
}
for b in "${missing[@]}"; do
  case "$b" in
    pulumi) build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
    pulumi-language-yaml) build_yaml ;;
  esac
done
echo "$BIN"
