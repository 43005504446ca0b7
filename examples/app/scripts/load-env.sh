#!/bin/bash
# Loads the fleet's environment (the `environment` input: SecureString parameters under
# /ec2fleet/<fleet>/env/, readable by the instances' role) into /etc/ec2fleet/app.env for the app's
# service. The file is root's alone (0600; systemd reads it before dropping to ec2-user), written
# whole or not at all, and no value is ever echoed. No parameters: an empty file.
set -euo pipefail
app="${APPLICATION_NAME:?the CodeDeploy agent sets APPLICATION_NAME for hooks}"
path="/ec2fleet/${app%-app}/env"
out="${EC2FLEET_ENV_FILE:-/etc/ec2fleet/app.env}"
if [ -z "${AWS_REGION:-}" ]; then
  imds=http://169.254.169.254/latest
  token="$(curl -fsS -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')"
  AWS_REGION="$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/placement/region")"
fi
umask 077
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$path" --with-decryption --output json \
  | node "$(dirname "$0")/env-file.js" "$path" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
