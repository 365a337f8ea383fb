#!/usr/bin/env bash
# Starts a Docker engine (dockerd, as root) and prints its pid once `docker info` answers; exits
# non-zero with the log's tail on stderr when it does not come up within 60 s.
#   docker-engine.sh LOG                      with the default bridge network: containers get
#                                             mapped ports (Testcontainers needs them); dockerd
#                                             adds its iptables rules and turns on IP forwarding
#   docker-engine.sh LOG --host-network-only  no bridge, no iptables rules, no IP forwarding:
#                                             builds and containers use the host's network only
set -euo pipefail
log="${1:?usage: docker-engine.sh LOG [--host-network-only]}"
flags=()
[[ "${2:-}" == --host-network-only ]] && flags=(--iptables=false --ip-forward=false --bridge=none)
[[ $(id -u) -eq 0 ]] || { echo "starting dockerd needs root" >&2; exit 1; }
command -v dockerd >/dev/null || { echo "dockerd is missing (apt-get install docker.io)" >&2; exit 1; }
mkdir -p "$(dirname "$log")"
dockerd "${flags[@]}" >"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && { echo "$pid"; exit 0; }
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
tail -20 "$log" >&2
kill "$pid" 2>/dev/null || true
exit 1
