# The Kafka broker image the tests run in Testcontainers' KafkaContainer where a Docker engine
# runs (CI): Kafka's own jars (the version the fleet uses) on the local Debian JRE base, started
# by /etc/kafka/docker/run as apache/kafka's image is. Built by deploy/images/kafka-image.sh; the
# build context holds libs/ and kafka-run.sh.
ARG BASE_JRE=qat-fleet/jre-base:bookworm
FROM ${BASE_JRE}
COPY libs/ /opt/kafka/libs/
COPY kafka-run.sh /etc/kafka/docker/run
RUN chmod 0755 /etc/kafka/docker/run
EXPOSE 9092
CMD ["/etc/kafka/docker/run"]
