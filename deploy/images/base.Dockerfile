# Debian 12 JRE and JDK bases for deploy/images/Dockerfile where no registry is reachable. FROM is
# a local image imported from a debootstrap minbase tree (check-images.sh makes it); apt-get needs
# the Debian mirrors, hence `--network host`:
#   docker build --network host --target jre -t qat-fleet/jre-base:bookworm - < base.Dockerfile
#   docker build --network host --target jdk -t qat-fleet/jdk-base:bookworm - < base.Dockerfile
ARG DEBIAN_IMAGE=qat-fleet/debian:bookworm-minbase
ARG DEBIAN_MIRROR=http://deb.debian.org/debian

FROM ${DEBIAN_IMAGE} AS jre
ARG DEBIAN_MIRROR
ENV LANG=C.UTF-8
RUN printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
      "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" > /etc/apt/sources.list \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openjdk-17-jre-headless >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && java -version

# Only the natives stage of Dockerfile runs on it (single-file source launch needs javac).
FROM jre AS jdk
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openjdk-17-jdk-headless >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && javac -version
