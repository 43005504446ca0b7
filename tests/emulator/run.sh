#!/usr/bin/env bash
# Start the ec2fleet AWS emulator in the background.
#   tests/emulator/run.sh [--port N] [--profile FILE] [--no-strict]
# Env: EC2FLEET_CACHE (default $HOME/.cache/ec2fleet; venv at $EC2FLEET_CACHE/venv)
#      EC2FLEET_EMULATOR_PID  pid file (default $EC2FLEET_CACHE/emulator.pid)
#      EC2FLEET_EMULATOR_LOG  log file (default $EC2FLEET_CACHE/emulator.log)
# Prints the endpoint URL on stdout. Stop with: kill "$(cat "$EC2FLEET_EMULATOR_PID")"
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${EC2FLEET_CACHE:-$HOME/.cache/ec2fleet}"
PY="$CACHE/venv/bin/python"
PID_FILE="${EC2FLEET_EMULATOR_PID:-$CACHE/emulator.pid}"
LOG="${EC2FLEET_EMULATOR_LOG:-$CACHE/emulator.log}"
mkdir -p "$CACHE"

if [ ! -x "$PY" ]; then
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q -r "$HERE/requirements.txt"
fi
if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  echo "emulator already running (pid $(cat "$PID_FILE"))" >&2
  exit 1
fi

PORT_FILE="$(mktemp)"
( cd "$HERE" && exec "$PY" -m ec2fleet_emulator --pid-file "$PID_FILE" "$@" ) >"$PORT_FILE" 2>>"$LOG" &
for _ in $(seq 1 200); do
  [ -s "$PORT_FILE" ] && break
  kill -0 $! 2>/dev/null || { echo "emulator failed to start, see $LOG" >&2; exit 1; }
  sleep 0.05
done
PORT="$(head -n1 "$PORT_FILE")"
rm -f "$PORT_FILE"
[ -n "$PORT" ] || { echo "emulator did not report a port, see $LOG" >&2; exit 1; }
echo "http://127.0.0.1:$PORT"
