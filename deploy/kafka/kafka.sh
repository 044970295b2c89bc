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
#   KAFKA_SECURITY         empty (default): the PLAINTEXT listener only.
#                          sasl: besides it, a SASL_PLAINTEXT listener on KAFKA_SASL_PORT
#                          (mechanisms PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and, when keytool is
#                          on PATH, an SSL listener on KAFKA_SSL_PORT with a self-signed CA.
#                          The PLAINTEXT listener stays (controller, inter-broker, readiness).
#   KAFKA_SASL_PORT        SASL_PLAINTEXT port (default KAFKA_PORT + 2)
#   KAFKA_SSL_PORT         SSL port (default KAFKA_PORT + 3)
#
# TEST-ONLY credentials of KAFKA_SECURITY=sasl (a local throwaway broker; never use elsewhere):
#   PLAIN          user driftline  password driftline-plain-secret
#                  user admin      password admin-plain-secret
#   SCRAM-SHA-256  user driftline  password driftline-scram256-secret  (created at format time)
#   SCRAM-SHA-512  user driftline  password driftline-scram512-secret  (created at format time)
#   TLS keystores  password driftline-tls-secret
# The SCRAM users are added when the data dir is formatted (`kafka-storage format --add-scram`);
# a data dir formatted without them gets them through the Admin API after the broker is ready.
# TLS files, made once with keytool into .kafka/<port>/tls/:
#   ca.p12 (the CA's key), ca.pem (the CA certificate, for clients: kafka.ssl.caFile),
#   broker.p12 (the broker's key + certificate for 127.0.0.1/localhost, signed by the CA).
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
KAFKA_SECURITY="${KAFKA_SECURITY:-}"
case "$KAFKA_SECURITY" in
  "" | none | plaintext) KAFKA_SECURITY="" ;;
  sasl) ;;
  *) echo "kafka.sh: KAFKA_SECURITY=$KAFKA_SECURITY is not supported (empty or sasl)" >&2; exit 2 ;;
esac
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
KAFKA_SSL_PORT="${KAFKA_SSL_PORT:-$((KAFKA_PORT + 3))}"
# Test-only credentials (see the header).
SASL_USER=driftline
SASL_PLAIN_PASSWORD=driftline-plain-secret
SASL_ADMIN_PASSWORD=admin-plain-secret
SCRAM256_PASSWORD=driftline-scram256-secret
SCRAM512_PASSWORD=driftline-scram512-secret
TLS_PASSWORD=driftline-tls-secret

STATE_DIR="$REPO_ROOT/.kafka/$KAFKA_PORT"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$STATE_DIR/data}"
CONFIG_FILE="$STATE_DIR/server.properties"
CLIENT_CONFIG="$STATE_DIR/client.properties"
PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.log"

VERSION_FILE="$STATE_DIR/broker.version"   # version of the broker that runs on this port
SECURITY_FILE="$STATE_DIR/broker.security" # listeners of the broker that runs on this port
TLS_DIR="$STATE_DIR/tls"

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
# TLS listener only when keytool can make the certificates.
tls_enabled() { [[ -n "$KAFKA_SECURITY" ]] && command -v keytool >/dev/null; }

write_config() {
  mkdir -p "$STATE_DIR"
  local listeners="PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://$HOST:$KAFKA_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$KAFKA_SECURITY" ]]; then
    listeners+=",SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT"
    advertised+=",SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT"
    protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
    if tls_enabled; then
      listeners+=",SSL://$HOST:$KAFKA_SSL_PORT"
      advertised+=",SSL://$HOST:$KAFKA_SSL_PORT"
      protocols+=",SSL:SSL"
    fi
  fi
  cat >"$CONFIG_FILE" <<EOF
# Generated by deploy/kafka/kafka.sh -- edits are overwritten on every start.
# Single-node KRaft: this JVM is both the broker and the (only) controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
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

  if [[ -n "$KAFKA_SECURITY" ]]; then
    cat >>"$CONFIG_FILE" <<EOF

# KAFKA_SECURITY=sasl -- TEST-ONLY credentials (see the header of deploy/kafka/kafka.sh).
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PLAIN_PASSWORD" user_admin="$SASL_ADMIN_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
    if tls_enabled; then
      cat >>"$CONFIG_FILE" <<EOF
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$TLS_DIR/broker.p12
listener.name.ssl.ssl.keystore.password=$TLS_PASSWORD
listener.name.ssl.ssl.key.password=$TLS_PASSWORD
listener.name.ssl.ssl.client.auth=none
EOF
    fi
  fi

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
  # Like Kafka's own Uuid.randomUuid, never one starting with '-': the tool's argument parser
  # would read it as an option ("--cluster-id: expected one argument"), 1 start in 64.
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  # shellcheck disable=SC2046
  local scram=()
  if [[ -n "$KAFKA_SECURITY" ]]; then
    scram=(--add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SCRAM256_PASSWORD]"
           --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SCRAM512_PASSWORD]")
  fi
  if ! out="$(java $(tool_log_opts) -cp "$(java_cp)" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONFIG_FILE" --ignore-formatted "${scram[@]}" 2>&1)"; then
    echo "$out" >&2
    die "formatting the storage dir $KAFKA_DATA_DIR failed"
  fi
  echo "$KAFKA_VERSION" >"$KAFKA_DATA_DIR/.driftline-kafka-version"
  [[ -n "$KAFKA_SECURITY" ]] && touch "$KAFKA_DATA_DIR/.driftline-scram-users"
  return 0
}

# A data dir formatted without KAFKA_SECURITY=sasl has no SCRAM users: add them through the
# Admin API (PLAINTEXT listener) once the broker answers. Idempotent (upsert).
ensure_scram_users() {
  [[ -n "$KAFKA_SECURITY" && ! -f "$KAFKA_DATA_DIR/.driftline-scram-users" ]] || return 0
  say "adding the SCRAM test users (data dir formatted without them) ..."
  local cls=kafka.admin.ConfigCommand   # in the kafka_2.13 jar of 3.x and 4.x alike
  # One mechanism per request: the broker refuses to alter one user's credentials twice in one.
  local cred out ok=true
  for cred in "SCRAM-SHA-256=[password=$SCRAM256_PASSWORD]" "SCRAM-SHA-512=[password=$SCRAM512_PASSWORD]"; do
    # shellcheck disable=SC2046
    if ! out="$(java $(tool_log_opts) -Xmx128m -XX:TieredStopAtLevel=1 -cp "$(java_cp)" "$cls" \
        --bootstrap-server "$HOST:$KAFKA_PORT" --command-config "$CLIENT_CONFIG" --alter \
        --add-config "$cred" --entity-type users --entity-name "$SASL_USER" 2>&1)"; then
      echo "$out" | grep -v '^\s*at ' | tail -n 5 >&2
      ok=false
    fi
  done
  if $ok; then
    touch "$KAFKA_DATA_DIR/.driftline-scram-users"
  else
    say "warning: could not add the SCRAM users (SCRAM logins will fail; try 'start --fresh')"
  fi
}

# ---------------------------------------------------------------------------------------------
# TLS (KAFKA_SECURITY=sasl with keytool): a self-signed CA and a broker certificate it signs,
# for 127.0.0.1 and localhost. Made once per port; delete .kafka/<port>/tls/ to make new ones.
# ---------------------------------------------------------------------------------------------
make_tls() {
  tls_enabled || return 0
  [[ -s "$TLS_DIR/broker.p12" && -s "$TLS_DIR/ca.pem" ]] && return 0
  say "making a self-signed test CA and broker certificate in ${TLS_DIR#"$REPO_ROOT"/} ..."
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  local kt=(keytool -noprompt -storetype PKCS12 -storepass "$TLS_PASSWORD" -keypass "$TLS_PASSWORD")
  local san="SAN=ip:127.0.0.1,dns:localhost" out
  if ! out="$(
    set -e
    "${kt[@]}" -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=driftline test CA" -ext bc:c -keystore "$TLS_DIR/ca.p12" 2>&1
    "${kt[@]}" -exportcert -rfc -alias ca -keystore "$TLS_DIR/ca.p12" -file "$TLS_DIR/ca.pem" 2>&1
    "${kt[@]}" -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=localhost" -ext "$san" -keystore "$TLS_DIR/broker.p12" 2>&1
    "${kt[@]}" -certreq -alias broker -keystore "$TLS_DIR/broker.p12" -file "$TLS_DIR/broker.csr" 2>&1
    "${kt[@]}" -gencert -rfc -alias ca -keystore "$TLS_DIR/ca.p12" -validity 3650 \
      -infile "$TLS_DIR/broker.csr" -outfile "$TLS_DIR/broker.pem" \
      -ext "$san" -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth 2>&1
    "${kt[@]}" -importcert -alias ca -file "$TLS_DIR/ca.pem" -keystore "$TLS_DIR/broker.p12" 2>&1
    "${kt[@]}" -importcert -alias broker -file "$TLS_DIR/broker.pem" -keystore "$TLS_DIR/broker.p12" 2>&1
  )"; then
    echo "$out" >&2
    rm -rf "$TLS_DIR"
    die "keytool could not make the test certificates"
  fi
  rm -f "$TLS_DIR/broker.csr"
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
      local running_security
      running_security="$(cat "$SECURITY_FILE" 2>/dev/null || echo "PLAINTEXT only")"
      if [[ "$running_security" != "$(security_summary)" ]]; then
        say "note: the running broker has $running_security, not what KAFKA_SECURITY=${KAFKA_SECURITY:-<empty>} asks for (use 'start --fresh' or 'restart')"
      fi
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
  if [[ -n "$KAFKA_SECURITY" ]] && port_open "$KAFKA_SASL_PORT"; then
    die "SASL port $HOST:$KAFKA_SASL_PORT is already in use; set KAFKA_SASL_PORT (or KAFKA_PORT)."
  fi
  if tls_enabled && port_open "$KAFKA_SSL_PORT"; then
    die "SSL port $HOST:$KAFKA_SSL_PORT is already in use; set KAFKA_SSL_PORT (or KAFKA_PORT)."
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
  make_tls
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
  security_summary >"$SECURITY_FILE"

  wait_until_ready "$pid"
  ensure_scram_users
  warm_up_group_coordinator
  say "ready: Apache Kafka $KAFKA_VERSION at $HOST:$KAFKA_PORT (pid $pid, $((SECONDS - started)) s)"
  if [[ -n "$KAFKA_SECURITY" ]]; then say "also: $(security_summary)"; fi
}

security_summary() {
  if [[ -z "$KAFKA_SECURITY" ]]; then echo "PLAINTEXT only"; return 0; fi
  local line="SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) at $HOST:$KAFKA_SASL_PORT"
  if tls_enabled; then line+="; SSL at $HOST:$KAFKA_SSL_PORT (CA: ${TLS_DIR#"$REPO_ROOT"/}/ca.pem)"; fi
  echo "$line"
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
  rm -f "$PID_FILE" "$VERSION_FILE" "$SECURITY_FILE"
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
      sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed '/^$/d; s/^# \{0,1\}//'
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
