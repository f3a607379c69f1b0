#!/usr/bin/env bash
# Copies the charlm example's corpus (this repository's C# sources) into DATA_DIR/datasets/charlm, where a job on the network
# may read it: coordinators, workers and verifiers read data only from under their own DATA_DIR/datasets. Run it on (or for) every
# machine that runs the job; examples/charlm-network.yaml then trains on the same bytes as `gensyn train examples/charlm.yaml`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${1:-${GENSYN_DATA_DIR:-$ROOT/.gensyn}}"
DEST="$DATA_DIR/datasets/charlm"
rm -rf "$DEST.tmp"
for project in Gensyn.Contracts Gensyn.Training Gensyn.Actors Gensyn.Node; do
  (cd "$ROOT" && find "$project" -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/.git/*' -not -path '*/node_modules/*' -print0) |
    while IFS= read -r -d '' file; do
      mkdir -p "$DEST.tmp/$(dirname "$file")"
      cp "$ROOT/$file" "$DEST.tmp/$file"
    done
done
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
echo "charlm corpus ready in $DEST ($(find "$DEST" -type f | wc -l) files)"
