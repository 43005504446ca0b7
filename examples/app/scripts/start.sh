#!/bin/bash
# ApplicationStart: run the app as a systemd service (restarted if it dies, logs to the file the
# CloudWatch agent ships). RELEASE is the CodeDeploy deployment (the agent sets DEPLOYMENT_ID for
# hooks); /etc/ec2fleet/app.env holds the app's environment, loaded afresh at each deployment.
set -euo pipefail
app=/opt/ec2fleet-app
"$(dirname "$0")/load-env.sh"
mkdir -p /var/log/ec2fleet
cat > /etc/systemd/system/ec2fleet-app.service <<UNIT
[Unit]
Description=ec2fleet example app
After=network-online.target
[Service]
WorkingDirectory=$app
Environment=PORT=3000 RELEASE=${DEPLOYMENT_ID:-manual}
EnvironmentFile=-/etc/ec2fleet/app.env
ExecStart=/usr/bin/env node $app/server.js
Restart=always
User=ec2-user
StandardOutput=append:/var/log/ec2fleet/app.log
StandardError=append:/var/log/ec2fleet/app.log
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable ec2fleet-app.service
systemctl restart ec2fleet-app.service
