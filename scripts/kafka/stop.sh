#!/usr/bin/env bash
# Stops the broker started by scripts/kafka/start.sh (SIGTERM, SIGKILL after 30 s) and deletes
# its data. A no-op when it is not running.
#
# Usage: scripts/kafka/stop.sh [--keep-data]
#   --keep-data  keep the topics and offsets, so the next start.sh resumes the same cluster
#                (for tests that restart the broker mid-stream)
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

keep_data=false
case "${1:-}" in
  --keep-data) keep_data=true ;;
  "") ;;
  *) echo "usage: $0 [--keep-data]" >&2; exit 2 ;;
esac

[[ -d "$KAFKA_RUN_DIR" ]] || { echo "kafka: not running" >&2; exit 0; }
kafka_lock

if pid="$(kafka_running_pid)"; then
  echo "kafka: stopping pid $pid" >&2
  kill -TERM "$pid" 2>/dev/null || true
  # kafka_running_pid (not kill -0) so that an unreaped zombie counts as stopped.
  for _ in $(seq 1 300); do
    kafka_running_pid >/dev/null || break
    sleep 0.1
  done
  if kafka_running_pid >/dev/null; then
    echo "kafka: pid $pid ignored SIGTERM for 30 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while kafka_running_pid >/dev/null; do sleep 0.1; done
  fi
  echo "kafka: stopped" >&2
else
  echo "kafka: not running" >&2
fi
rm -f "$KAFKA_PID_FILE"
if [[ "$keep_data" == true ]]; then
  touch "$KAFKA_RUN_DIR/keep-data"
else
  rm -rf "$KAFKA_DATA_DIR" "$KAFKA_RUN_DIR/cluster.id" "$KAFKA_RUN_DIR/keep-data"
fi
