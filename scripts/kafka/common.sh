# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by start.sh and stop.sh
# Shared settings of scripts/kafka/start.sh and stop.sh (sourced, not run).
# Environment overrides:
#   TITANS_KAFKA_HOME            classpath cache   (default ~/.cache/titans-stream/kafka-<version>)
#   TITANS_KAFKA_RUN_DIR         pid, logs, config, data (default ${TMPDIR:-/tmp}/titans-stream-kafka-<port>)
#   TITANS_KAFKA_PORT            broker port       (default 9092)
#   TITANS_KAFKA_CONTROLLER_PORT controller port   (default 9093)
#   TITANS_KAFKA_READY_TIMEOUT   seconds to wait for the broker to answer (default 90)

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$KAFKA_SCRIPT_DIR/pom.xml")"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${TITANS_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${TITANS_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
KAFKA_HOME="${TITANS_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/titans-stream/kafka-$KAFKA_VERSION}"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_RUN_DIR="${TITANS_KAFKA_RUN_DIR:-${TMPDIR:-/tmp}/titans-stream-kafka-$KAFKA_PORT}"
KAFKA_PID_FILE="$KAFKA_RUN_DIR/broker.pid"
KAFKA_DATA_DIR="$KAFKA_RUN_DIR/data"
KAFKA_LOG_DIR="$KAFKA_RUN_DIR/logs"
KAFKA_CONFIG="$KAFKA_RUN_DIR/server.properties"

# Prints the pid of the broker this run directory started, if that process is still alive.
kafka_running_pid() {
  local pid
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  pid="$(cat "$KAFKA_PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Guard against pid reuse: the process must be our kafka.Kafka with our config.
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $KAFKA_CONFIG" || return 1
  echo "$pid"
}

# Serialises concurrent start/stop calls on the same run directory.
kafka_lock() {
  mkdir -p "$KAFKA_RUN_DIR"
  exec 9>"$KAFKA_RUN_DIR/.lock"
  flock -w 180 9 || { echo "kafka: another start/stop holds $KAFKA_RUN_DIR/.lock" >&2; exit 1; }
}
