#!/bin/bash
# ApplicationStop: stop the running release, if any (the first deployment finds none).
set -euo pipefail
if systemctl list-unit-files ec2fleet-app.service >/dev/null 2>&1; then
  systemctl stop ec2fleet-app.service || true
fi
