#!/usr/bin/env bash
# The demo: the real Pulumi CLI runs `pulumi up` of examples/fleet with this build of the provider,
# offline, against the local AWS emulator (a throwaway stack under $EC2FLEET_CACHE/demo). It shows
# the outputs, refreshes (no drift), then destroys the fleet and shows the emulator's leak report.
# Set EC2FLEET_DEMO_KEEP=1 to keep the fleet and the emulator running afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
: "${EC2FLEET_PROVIDER:?set by make demo}" "${EC2FLEET_PULUMI_BIN:?set by make demo}"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
work="$CACHE/demo"
rm -rf "$work" && mkdir -p "$work/home" "$work/state"
cp -r "$here/examples/fleet" "$work/proj"
cp -r "$here/examples/app" "$work/app"  # the app the fleet releases

export EC2FLEET_EMULATOR_PID="$work/emulator.pid" EC2FLEET_EMULATOR_LOG="$work/emulator.log"
url="$("$here/tests/emulator/run.sh" --port 0)"
stop() { [ "${EC2FLEET_DEMO_KEEP:-}" = 1 ] || kill "$(cat "$EC2FLEET_EMULATOR_PID")" 2>/dev/null || true; }
trap stop EXIT
echo "AWS emulator at $url"

cd "$work/proj"
export PATH="$EC2FLEET_PULUMI_BIN:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_CONFIG_PASSPHRASE=demo PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
version="$(grep -m1 '^version' "$here/Cargo.toml" | cut -d'"' -f2)"
pulumi plugin install resource ec2fleet "$version" --file "$EC2FLEET_PROVIDER" >/dev/null
pulumi stack init demo --non-interactive >/dev/null
account=123456789012
pulumi config set ec2fleet:region us-east-1
pulumi config set ec2fleet:accessKey "$account"
pulumi config set --secret ec2fleet:secretKey demo
pulumi config set --secret sessionSecret "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
for s in acm autoscaling cloudfront cloudtrail codedeploy codepipeline ec2 elbv2 events iam logs route53 s3 ssm sts; do
  pulumi config set --path "ec2fleet:endpoints.$s" "$url"
done

pulumi up --yes --non-interactive
pulumi stack output
pulumi refresh --yes --non-interactive --expect-no-changes
if [ "${EC2FLEET_DEMO_KEEP:-}" = 1 ]; then
  echo "fleet kept; emulator pid $(cat "$EC2FLEET_EMULATOR_PID"), stack in $work/proj"
  exit 0
fi
pulumi destroy --yes --non-interactive
echo "leak report for account $account:"
curl -s "$url/_ec2fleet/leaks?account=$account&region=us-east-1"; echo
