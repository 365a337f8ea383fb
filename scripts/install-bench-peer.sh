#!/usr/bin/env bash
# Installs the PyTorch peer of the benchmarks, if missing: Debian's python3-torch and python3-numpy
# (run with /usr/bin/python3) and an optimized BLAS for it. Debian's torch calls the generic
# libblas.so.3, which without an optimized BLAS is the reference implementation (~30x slower GEMM
# here); libopenblas0-pthread provides OpenBLAS, which `qat bench` selects for the peer
# (LD_LIBRARY_PATH) whatever the system alternative says. `qat bench speed` prints the BLAS the
# peer's GEMM calls and refuses to compare against the reference one.
set -euo pipefail

missing=()
for pkg in python3-torch python3-numpy libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "bench peer: installing ${missing[*]} (apt-get)" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
