#!/usr/bin/env bash
# A real, single-node Apache Kafka broker for development and tests -- no Docker needed.
#
# The broker jars come from Maven Central (via deploy/kafka/pom.xml) on first use; the broker
# runs in KRaft mode (one JVM that is both broker and controller) in the background.
#
# Usage:  bash deploy/kafka/kafka.sh <command>
#   fetch            download the broker jars (no-op when already there)
#   start [--fresh]  start the broker and wait until it answers Kafka requests;
#                    --fresh wipes the data dir first. Already running -> says so, exit 0.
#   stop             SIGTERM, wait, then SIGKILL. Not running -> exit 0.
#   restart          stop + start, keeping the data (topics, offsets) -- for fault tests.
#   status           exit 0 if our broker runs and answers, 1 otherwise.
#   logs             print the path of the broker log.
#
# Environment:
#   KAFKA_VERSION          Apache Kafka version from Maven Central (default 3.9.1; 4.x works too)
#   KAFKA_PORT             client (PLAINTEXT) port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT + 1)
#   KAFKA_DATA_DIR         log/metadata dir (default .kafka/<port>/data in the repo)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 120)
#   KAFKA_HEAP_OPTS        JVM heap options (default -Xms256m -Xmx1g)
#
# Files (all under .kafka/ in the repo, which is gitignored), one directory per port:
#   .kafka/<port>/server.properties   generated broker config
#   .kafka/<port>/broker.pid          pid of the broker JVM
#   .kafka/<port>/broker.log          broker stdout/stderr (log4j goes to stdout)
#   .kafka/<port>/data/               the data dir, unless KAFKA_DATA_DIR says otherwise
# Jars: deploy/kafka/target/kafka-<version>/libs/ (gitignored).

set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

# Whether the caller chose a version (matters when a broker of another version already runs).
VERSION_EXPLICIT="${KAFKA_VERSION:+yes}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
HOST=127.0.0.1

STATE_DIR="$REPO_ROOT/.kafka/$KAFKA_PORT"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$STATE_DIR/data}"
CONFIG_FILE="$STATE_DIR/server.properties"
CLIENT_CONFIG="$STATE_DIR/client.properties"
PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.log"

VERSION_FILE="$STATE_DIR/broker.version"   # version of the broker that runs on this port

# Selects the Kafka version whose jars we use: sets KAFKA_VERSION, JARS_DIR, LIBS_DIR, LOGGING.
# Kafka 3.x logs via reload4j (log4j 1.x); Kafka 4.x via log4j2.
use_version() {
  KAFKA_VERSION="$1"
  JARS_DIR="$SCRIPT_DIR/target/kafka-$KAFKA_VERSION"
  LIBS_DIR="$JARS_DIR/libs"
  case "$KAFKA_VERSION" in
    0.* | 1.* | 2.*) echo "kafka.sh: KAFKA_VERSION=$KAFKA_VERSION is too old (need 3.x or 4.x, KRaft)" >&2; exit 2 ;;
    3.*) LOGGING=reload4j ;;
    *) LOGGING=log4j2 ;;
  esac
}
use_version "$KAFKA_VERSION"

# A broker already runs on this port: talk to it with the jars (and log setup) of its own
# version, which need not be the KAFKA_VERSION asked for now.
use_running_version() {
  local running
  running="$(cat "$VERSION_FILE" 2>/dev/null || true)"
  if [[ -n "$running" && "$running" != "$KAFKA_VERSION" ]]; then
    [[ -n "$VERSION_EXPLICIT" ]] && say "note: the running broker is Apache Kafka $running, not KAFKA_VERSION=$KAFKA_VERSION"
    use_version "$running"
  fi
  [[ -f "$JARS_DIR/.complete" ]] || cmd_fetch
  write_config_if_missing
}

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
say() { echo "[kafka] $*" >&2; }
die() { echo "[kafka] ERROR: $*" >&2; exit 1; }

# True when stderr is a terminal: then we draw progress dots while waiting.
is_tty() { [[ -t 2 ]]; }

# Pid of our broker if it is running, else nothing (and a non-zero status).
# The command line must really be a kafka.Kafka JVM: a stale pid file whose pid has been
# reused by some other process must not count.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  fi
  echo "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:<port> (bash's /dev/tcp).
port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

java_cp() {
  # Classpath wildcard: java expands "<dir>/*" to all jars in the dir.
  echo "$LIBS_DIR/*"
}

# Log config for short-lived tool JVMs (storage format, readiness probe): errors only, stderr.
tool_log_opts() {
  if [[ $LOGGING == reload4j ]]; then
    echo "-Dlog4j.configuration=file:$STATE_DIR/tools-log4j.properties"
  else
    echo "-Dlog4j2.configurationFile=$STATE_DIR/tools-log4j2.properties"
  fi
}

# ---------------------------------------------------------------------------------------------
# fetch: download the jars with Maven (quietly; the full Maven log is kept for failures)
# ---------------------------------------------------------------------------------------------
cmd_fetch() {
  if [[ -f "$JARS_DIR/.complete" ]]; then
    say "Apache Kafka $KAFKA_VERSION jars already present ($(ls "$LIBS_DIR" | wc -l) jars in ${LIBS_DIR#"$REPO_ROOT"/})"
    return 0
  fi
  command -v java >/dev/null || die "java not found on PATH (Kafka needs Java 17+)"
  command -v mvn >/dev/null || die "mvn not found on PATH (needed once, to fetch the Kafka jars from Maven Central)"

  say "fetching Apache Kafka $KAFKA_VERSION broker jars from Maven Central (one-time, ~50 MB) ..."
  local started=$SECONDS mvn_log="$JARS_DIR.mvn.log"
  rm -rf "$JARS_DIR"
  mkdir -p "$(dirname "$JARS_DIR")"
  # -B: batch mode (no prompts, no colours); -ntp: no per-file transfer progress.
  # Everything goes to a log file; on failure we print its tail.
  if ! mvn -B -ntp -f "$SCRIPT_DIR/pom.xml" \
      dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" \
      -Dkafka.logging="$LOGGING" \
      -DoutputDirectory="$LIBS_DIR" \
      >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (full log: $mvn_log)"
  fi
  [[ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing (log: $mvn_log)"
  echo "$KAFKA_VERSION" >"$JARS_DIR/.complete"
  rm -f "$mvn_log"
  say "fetched $(ls "$LIBS_DIR" | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - started)) s"
}

# ---------------------------------------------------------------------------------------------
# Config files
# ---------------------------------------------------------------------------------------------
write_config() {
  mkdir -p "$STATE_DIR"
  cat >"$CONFIG_FILE" <<EOF
# Generated by deploy/kafka/kafka.sh -- edits are overwritten on every start.
# Single-node KRaft: this JVM is both the broker and the (only) controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KAFKA_DATA_DIR

# Test-friendly settings: one replica of everything, no rebalance delay, topics on demand.
num.partitions=3
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
log.retention.hours=24
log.segment.bytes=67108864
num.network.threads=3
num.io.threads=4
EOF

  # Tool client config: fail a readiness probe quickly instead of retrying for a minute.
  cat >"$CLIENT_CONFIG" <<EOF
request.timeout.ms=3000
default.api.timeout.ms=5000
EOF

  # Broker logging -> stdout (redirected to broker.log); tools -> errors only on stderr.
  if [[ $LOGGING == reload4j ]]; then
    cat >"$STATE_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
EOF
    cat >"$STATE_DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=ERROR, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  else
    cat >"$STATE_DIR/log4j2.properties" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
EOF
    cat >"$STATE_DIR/tools-log4j2.properties" <<'EOF'
status = error
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = STDERR
EOF
  fi
}

broker_log_opts() {
  if [[ $LOGGING == reload4j ]]; then
    echo "-Dlog4j.configuration=file:$STATE_DIR/log4j.properties"
  else
    echo "-Dlog4j2.configurationFile=$STATE_DIR/log4j2.properties"
  fi
}

# ---------------------------------------------------------------------------------------------
# Storage: KRaft needs the data dir "formatted" (cluster id + metadata version) once.
# ---------------------------------------------------------------------------------------------
format_storage() {
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    local formatted_with
    formatted_with="$(cat "$KAFKA_DATA_DIR/.driftline-kafka-version" 2>/dev/null || echo unknown)"
    if [[ "$formatted_with" != "$KAFKA_VERSION" ]]; then
      say "note: data dir was formatted by Kafka $formatted_with, now starting $KAFKA_VERSION (use 'start --fresh' if it refuses)"
    fi
    return 0
  fi
  say "formatting KRaft storage in ${KAFKA_DATA_DIR#"$REPO_ROOT"/} ..."
  mkdir -p "$KAFKA_DATA_DIR"
  local cluster_id out
  # The cluster id is 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints).
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  # shellcheck disable=SC2046
  if ! out="$(java $(tool_log_opts) -cp "$(java_cp)" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONFIG_FILE" --ignore-formatted 2>&1)"; then
    echo "$out" >&2
    die "formatting the storage dir $KAFKA_DATA_DIR failed"
  fi
  echo "$KAFKA_VERSION" >"$KAFKA_DATA_DIR/.driftline-kafka-version"
}

# ---------------------------------------------------------------------------------------------
# Readiness: a real Kafka request (list topics through the Admin API), not a port check.
# ---------------------------------------------------------------------------------------------
broker_answers() {
  # shellcheck disable=SC2046
  java $(tool_log_opts) -Xmx128m -XX:TieredStopAtLevel=1 -cp "$(java_cp)" \
    org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$HOST:$KAFKA_PORT" --command-config "$CLIENT_CONFIG" --list \
    >/dev/null 2>&1
}

# Best effort: ask for a consumer group's coordinator once, so that the __consumer_offsets
# topic is created and loaded before the first test's consumer needs it (otherwise the first
# clients see a few "coordinator is loading / not available" retries).
warm_up_group_coordinator() {
  # shellcheck disable=SC2046
  timeout 30 java $(tool_log_opts) -Xmx128m -XX:TieredStopAtLevel=1 -cp "$(java_cp)" \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$HOST:$KAFKA_PORT" --command-config "$CLIENT_CONFIG" \
    --describe --group driftline-warm-up --timeout 20000 \
    >/dev/null 2>&1 || true
}

wait_until_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  say "waiting for the broker to answer Kafka requests on $HOST:$KAFKA_PORT (timeout ${KAFKA_START_TIMEOUT}s) ..."
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      is_tty && echo >&2
      echo "----- last 40 lines of $LOG_FILE -----" >&2
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "the broker process exited during startup (see above)"
    fi
    if port_open "$KAFKA_PORT" && broker_answers; then
      is_tty && echo >&2
      return 0
    fi
    is_tty && printf '.' >&2
    sleep 1
  done
  is_tty && echo >&2
  echo "----- last 40 lines of $LOG_FILE -----" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
  die "the broker did not answer on $HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (pid $pid still running; 'bash deploy/kafka/kafka.sh stop' to stop it)"
}

# ---------------------------------------------------------------------------------------------
# start / stop / restart / status
# ---------------------------------------------------------------------------------------------
cmd_start() {
  local fresh=false
  for arg in "$@"; do
    case "$arg" in
      --fresh) fresh=true ;;
      *) die "unknown option for start: $arg" ;;
    esac
  done

  local pid
  if pid="$(running_pid)"; then
    if $fresh; then
      say "--fresh: stopping the running broker first"
      cmd_stop
    else
      # Started by someone else a moment ago? Make sure it answers before we report success.
      use_running_version
      if ! broker_answers; then wait_until_ready "$pid"; fi
      say "already running (pid $pid) at $HOST:$KAFKA_PORT"
      return 0
    fi
  fi

  # Something else (another checkout's broker, a container ...) owns the port: our broker
  # could not bind, and a readiness probe would wrongly succeed against the other one.
  if port_open "$KAFKA_PORT"; then
    die "port $HOST:$KAFKA_PORT is already in use by another process. Use that broker with KAFKA_BROKERS=$HOST:$KAFKA_PORT, stop it, or pick another KAFKA_PORT."
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $HOST:$KAFKA_CONTROLLER_PORT is already in use; set KAFKA_CONTROLLER_PORT (or KAFKA_PORT)."
  fi

  cmd_fetch
  command -v java >/dev/null || die "java not found on PATH (Kafka needs Java 17+)"

  if $fresh; then
    case "$(cd "$KAFKA_DATA_DIR" 2>/dev/null && pwd || echo "$KAFKA_DATA_DIR")" in
      / | "$HOME" | "$REPO_ROOT") die "refusing to wipe KAFKA_DATA_DIR=$KAFKA_DATA_DIR" ;;
    esac
    say "--fresh: wiping ${KAFKA_DATA_DIR#"$REPO_ROOT"/}"
    rm -rf "$KAFKA_DATA_DIR"
  fi
  write_config
  format_storage

  say "starting Apache Kafka $KAFKA_VERSION (KRaft, broker+controller) on $HOST:$KAFKA_PORT, log: ${LOG_FILE#"$REPO_ROOT"/}"
  local started=$SECONDS
  {
    echo "===== $(date '+%Y-%m-%d %H:%M:%S') kafka.sh start: Apache Kafka $KAFKA_VERSION on $HOST:$KAFKA_PORT ====="
  } >>"$LOG_FILE"
  # nohup + setsid: the broker outlives this script and is not killed with the caller's
  # process group (e.g. Ctrl-C in the terminal that ran `npm test`).
  # All three std streams are redirected so no caller waits on a pipe the broker holds open,
  # and fd 9 (our lock, see main) is closed so the broker does not hold the lock forever.
  # shellcheck disable=SC2046,SC2086
  nohup setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    $(broker_log_opts) \
    -cp "$(java_cp)" kafka.Kafka "$CONFIG_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$KAFKA_VERSION" >"$VERSION_FILE"

  wait_until_ready "$pid"
  warm_up_group_coordinator
  say "ready: Apache Kafka $KAFKA_VERSION at $HOST:$KAFKA_PORT (pid $pid, $((SECONDS - started)) s)"
}

# When `start` finds a broker already running, the client config used by the probe may not
# exist yet (e.g. .kafka/ was partly cleaned); regenerate the config files then.
write_config_if_missing() {
  [[ -f "$CLIENT_CONFIG" ]] || write_config
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running (port $KAFKA_PORT)"
    return 0
  fi
  say "stopping broker (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  # A clean shutdown of a single node takes a few seconds; give it up to 30 s.
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 30 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$PID_FILE" "$VERSION_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    use_running_version
    if broker_answers; then
      say "running (pid $pid) at $HOST:$KAFKA_PORT, Apache Kafka $KAFKA_VERSION"
      return 0
    fi
    say "process $pid is running but does not answer on $HOST:$KAFKA_PORT (yet)"
    return 1
  fi
  say "not running (port $KAFKA_PORT)"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Main. A lock serialises concurrent invocations for the same port (e.g. two test runs).
# ---------------------------------------------------------------------------------------------
main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift

  case "$cmd" in
    fetch | start | stop | restart | status) ;;
    logs) echo "$LOG_FILE"; return 0 ;;
    "" | -h | --help | help)
      sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      [[ -n "$cmd" ]] && return 0 || return 2
      ;;
    *) die "unknown command '$cmd' (fetch | start [--fresh] | stop | restart | status | logs)" ;;
  esac

  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null; then
    exec 9>"$STATE_DIR/.lock"
    flock 9
  fi

  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    restart)
      # Come back with the same version unless KAFKA_VERSION says otherwise.
      if [[ -z "$VERSION_EXPLICIT" && -s "$VERSION_FILE" ]] && running_pid >/dev/null; then
        use_version "$(cat "$VERSION_FILE")"
      fi
      cmd_stop
      cmd_start "$@"
      ;;
    status) cmd_status ;;
  esac
}

main "$@"
