#!/usr/bin/env bash
# The integration suite once more, against an Apache Kafka 4.x broker (KAFKA4_VERSION, default
# 4.1.1) from Maven jars on its own port, so that both supported broker lines are tested.
# Usage: npm run test:kafka4
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export KAFKA_VERSION="${KAFKA4_VERSION:-4.1.1}"
# A free port pair (client, controller), unless KAFKA4_PORT says which.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n "${KAFKA4_PORT:-}" ]]; then KAFKA_PORT="$KAFKA4_PORT"; else
  for KAFKA_PORT in 18092 18192 18292 18392 18492; do port_free "$KAFKA_PORT" && port_free $((KAFKA_PORT + 1)) && break; done
fi
export KAFKA_PORT
trap 'bash deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
echo "[test:kafka4] starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
bash deploy/kafka/kafka.sh start --fresh
KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" npx vitest run --project integration
