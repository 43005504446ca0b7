#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on a fresh machine, idempotently:
# protoc (Debian), the Python venv (pinned test tools, moto, Pulumi's Python SDK for the wire test), and
# the Pulumi CLI built from the Go module proxy. Safe to run again; fast when everything is there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
mkdir -p "$CACHE"

if ! command -v protoc >/dev/null; then
  echo "setup: installing protobuf-compiler" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >&2
fi

venv="$CACHE/venv"
req="$here/requirements-dev.txt"
stamp="$venv/.requirements.sha256"
# The requirements' contents, not their paths: every checkout sharing the cache shares the venv.
want="$(cat "$req" $(ls "$here"/tests/emulator/requirements.txt 2>/dev/null) | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: preparing the Python venv at $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$req" $(ls "$here"/tests/emulator/requirements.txt 2>/dev/null | sed 's/^/-r /') >&2
  echo "$want" > "$stamp"
fi

"$here/scripts/bootstrap.sh" >/dev/null
echo "setup: done" >&2
