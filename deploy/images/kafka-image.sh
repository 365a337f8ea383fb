#!/usr/bin/env bash
# Builds qat-fleet/kafka:<Kafka version>, the broker image of the tests' Testcontainers path
# (QAT_KAFKA_IMAGE, see KafkaBrokerExtension), where no registry is reachable: Kafka's jars as
# Maven resolves them (deploy/images/kafka/pom.xml, the version of the fleet's Kafka clients) on
# the local JRE base that check-images.sh builds (it runs `check-images.sh --bases` when that base
# is missing). Needs a running Docker engine. Prints the image's name on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
jre=qat-fleet/jre-base:bookworm
docker info >/dev/null 2>&1 || { echo "kafka-image: no Docker engine answers" >&2; exit 1; }
if ! docker image inspect "$jre" >/dev/null 2>&1; then
  deploy/images/check-images.sh --bases >&2
fi
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
./mvnw -B -q -f deploy/images/kafka/pom.xml dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$context/libs" >&2
version="$(find "$context/libs" -name 'kafka_2.13-*.jar' -printf '%f\n' | sed 's/^kafka_2\.13-\(.*\)\.jar$/\1/')"
[[ -n "$version" ]] || { echo "kafka-image: no kafka_2.13 jar resolved" >&2; exit 1; }
cp deploy/images/kafka-run.sh "$context/kafka-run.sh"
image="qat-fleet/kafka:$version"
DOCKER_BUILDKIT=0 docker build -q -t "$image" --build-arg BASE_JRE="$jre" \
  -f - "$context" <deploy/images/kafka.Dockerfile >&2
echo "$image"
