#!/bin/bash
# The start command of the test broker image qat-fleet/kafka (installed as /etc/kafka/docker/run,
# where Testcontainers' KafkaContainer and the apache/kafka image expect it): turns the KAFKA_*
# environment into server.properties as apache/kafka does (KAFKA_LOG_DIRS -> log.dirs; "__" -> "_",
# "___" -> "-"), formats the KRaft storage for CLUSTER_ID and runs the broker in the foreground.
set -euo pipefail
dir=/tmp/kafka
conf="$dir/server.properties"
mkdir -p "$dir"
{
  echo "log.dirs=$dir/data"
  for var in $(compgen -e); do
    case "$var" in
      KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_VERSION) continue ;;
      KAFKA_*) ;;
      *) continue ;;
    esac
    name="${var#KAFKA_}"
    name="${name,,}"
    name="${name//___/-}"
    name="${name//__/@}"
    name="${name//_/.}"
    name="${name//@/_}"
    printf '%s=%s\n' "$name" "${!var}"
  done
} >"$conf"
java=(java ${KAFKA_HEAP_OPTS:--Xmx1g} -Dorg.slf4j.simpleLogger.logFile=System.out
  -Dorg.slf4j.simpleLogger.showDateTime=true -cp "/opt/kafka/libs/*")
"${java[@]}" kafka.tools.StorageTool format --ignore-formatted -t "${CLUSTER_ID:?CLUSTER_ID is required}" -c "$conf"
exec "${java[@]}" kafka.Kafka "$conf"
