#!/usr/bin/env bash
# The demo: the real Pulumi CLI runs examples/fleet with this build of the provider, offline, in a
# throwaway stack under $EC2FLEET_CACHE/demo. Today it previews the fleet (create lands with issue #4;
# the demo then becomes `pulumi up` against the local AWS emulator).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
: "${EC2FLEET_PROVIDER:?set by make demo}" "${EC2FLEET_PULUMI_BIN:?set by make demo}"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
work="$CACHE/demo"
rm -rf "$work" && mkdir -p "$work/home" "$work/state"
cp -r "$here/examples/fleet" "$work/proj"
cd "$work/proj"
export PATH="$EC2FLEET_PULUMI_BIN:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_CONFIG_PASSPHRASE=demo PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
version="$(grep -m1 '^version' "$here/Cargo.toml" | cut -d'"' -f2)"
pulumi plugin install resource ec2fleet "$version" --file "$EC2FLEET_PROVIDER" >/dev/null
pulumi stack init demo --non-interactive >/dev/null
pulumi config set ec2fleet:region us-east-1
pulumi config set ec2fleet:skipCredentialsValidation true
pulumi preview --non-interactive --diff
