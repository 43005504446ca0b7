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

# The nodejs and python language hosts' own modules are not served by the module proxy reachable here;
# sdk/v3 up to v3.68.0 still carried them as packages, and the engine's host protocol they speak is
# stable, so they are built from that version (see FACTS.md, "SDKs and language hosts").
HOSTS_SDK_VERSION="${HOSTS_SDK_VERSION:-v3.68.0}"
want=(pulumi pulumi-language-yaml pulumi-language-nodejs pulumi-language-python pulumi-language-python-exec)
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
# The nodejs and python hosts, from their own module graph (an old sdk/v3 beside the CLI's new one).
build_hosts() {
  mkdir -p "$OUT/hosts-mod"
  (cd "$OUT/hosts-mod"
   printf 'module ec2fleet.local/hostsbuild\n\ngo 1.26\n' > go.mod
   go get "github.com/pulumi/pulumi/sdk/v3@$HOSTS_SDK_VERSION" >&2
   # `go get` of the module records only its own go.sum lines; the host packages need their imports'.
   go get "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$HOSTS_SDK_VERSION" \
     "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python@$HOSTS_SDK_VERSION" >&2
   for lang in nodejs python; do
     echo "bootstrap: building pulumi-language-$lang" >&2
     go build -ldflags "-s -w" -o "$BIN/pulumi-language-$lang.tmp" \
       "github.com/pulumi/pulumi/sdk/v3/$lang/cmd/pulumi-language-$lang" >&2
     mv "$BIN/pulumi-language-$lang.tmp" "$BIN/pulumi-language-$lang"
   done
   # The python host runs programs through this script, looked up on PATH beside it.
   src="$(go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3")/python/cmd/pulumi-language-python-exec"
   install -m 0755 "$src" "$BIN/pulumi-language-python-exec")
}
hosts_built=0
for b in "${missing[@]}"; do
  case "$b" in
    pulumi) build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
    pulumi-language-yaml) build_yaml ;;
    pulumi-language-nodejs|pulumi-language-python|pulumi-language-python-exec)
      [ "$hosts_built" = 1 ] || { build_hosts; hosts_built=1; } ;;
  esac
done
echo "$BIN"
