#!/usr/bin/env bash
# Installs the headless browser that the web console's browser test (qat-cli FleetEndToEndIT)
# drives, if missing: Debian's chromium and chromium-driver (/usr/bin/chromium,
# /usr/bin/chromedriver). Nothing is downloaded outside the Debian archive.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi
echo "browser: installing chromium and chromium-driver (apt-get) for the web console's test" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver >/dev/null
