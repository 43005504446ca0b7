#!/bin/bash
# ValidateService: the deployment succeeds on this instance only once the app answers its health
# check (for up to a minute after start).
set -euo pipefail
port="$(sed -n 's/^PORT="\{0,1\}\([0-9]*\)"\{0,1\}$/\1/p' /etc/ec2fleet/app.env 2>/dev/null || true)"
for _ in $(seq 60); do
  if curl -fsS "http://127.0.0.1:${port:-3000}/health" >/dev/null; then
    exit 0
  fi
  sleep 1
done
echo "the app does not answer http://127.0.0.1:${port:-3000}/health" >&2
exit 1
