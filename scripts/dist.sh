#!/usr/bin/env bash
# Packages ec2fleet as users install it, into dist/:
#   pulumi-resource-ec2fleet-v<version>-<os>-<arch>.tar.gz  (`pulumi plugin install resource ec2fleet <version> --file`)
#   ec2fleet-ec2fleet-<version>.tgz                          (npm, the built TypeScript SDK)
#   pulumi_ec2fleet-<version>-py3-none-any.whl and .tar.gz   (pip)
# and checks the Go module sdk/go builds (it is published by its tag, sdk/go/v<version>).
# PROFILE=debug packages the debug build (the tests do; a release build is slow to make cold).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
target="${CARGO_TARGET_DIR:-$CACHE/target}"
profile="${PROFILE:-release}"
py="${PY:-$CACHE/venv/bin/python}"
version="$(grep -m1 '^version' "$here/Cargo.toml" | cut -d'"' -f2)"
dist="$here/dist"
rm -rf "$dist" && mkdir -p "$dist"

# Pulumi's names: the OS and architecture as Go spells them.
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
bin="$target/$profile/pulumi-resource-ec2fleet"
[ -x "$bin" ] || { echo "dist: $bin is missing; build it first (cargo build${profile/debug/})" >&2; exit 1; }
tar -czf "$dist/pulumi-resource-ec2fleet-v$version-$os-$arch.tar.gz" -C "$(dirname "$bin")" pulumi-resource-ec2fleet

# The SDKs are built from scratch copies, so sdk/ holds only what the generators wrote.
work="$dist/.build"
mkdir -p "$work" && cp -r "$here/sdk/nodejs" "$here/sdk/python" "$work/"

# TypeScript: compile, then pack bin/ with the package's manifest (its main is bin/index.js).
(cd "$work/nodejs"
 npm install --no-audit --no-fund --silent >&2
 npx tsc
 cp package.json README.md bin/
 npm pack ./bin --pack-destination "$dist" --silent >/dev/null)

# Python: wheel and sdist; the project's readme is the package's, as Pulumi's packing places it.
cp "$work/python/pulumi_ec2fleet/README.md" "$work/python/README.md"
"$py" -m build --wheel --sdist --outdir "$dist" "$work/python" >&2
rm -rf "$work"

(cd "$here/sdk/go" && go build ./... && go vet ./...)
ls "$dist"
