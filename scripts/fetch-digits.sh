#!/usr/bin/env bash
# Puts the UCI handwritten digits (1,797 images of 8x8 pixels, 10 classes) into DIR once, as the CSV files a job spec
# reads: DIR/train.csv (the first 1,437 images) and DIR/test.csv (the last 360). They come from Debian's package
# python3-sklearn (sklearn/datasets/data/digits.csv.gz), which is downloaded, not installed: no Python is needed.
# Each row is the label (0-9), then the 64 pixels scaled from 0..16 to 0..1 (exact in float32), under a header row.
# DIR defaults to examples/byom/data, where examples/byom/*.yaml read it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/examples/byom/data}"
# SHA-256 of the decompressed digits.csv shipped by python3-sklearn, and of the two files made from it.
SOURCE_SHA256=6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8
TRAIN_SHA256=b9b25e070e37263ab5a47ed8e58ad1b86a74d85e1ac12d982f3be011822daabc
TEST_SHA256=65e5e629a92b9ba31f75bcabcedba849d219eb76c23e2e6bc2daa8d72fd470d4
TRAIN_ROWS=1437
MEMBER=./usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz

sha256() { sha256sum "$1" | cut -d' ' -f1; }
[[ -s "$DEST/train.csv" && -s "$DEST/test.csv" ]] && exit 0

for tool in apt-get dpkg-deb gzip awk sha256sum; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "error: $tool is needed once to fetch the digits (a Debian system)" >&2; exit 1; }
done
echo "Fetching the digits (Debian package python3-sklearn) into $DEST ..."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK" # apt-get download writes as its own user where it can
download() { (cd "$WORK" && apt-get download -q python3-sklearn >/dev/null 2>"$WORK/apt.log"); }
if ! download; then
  # A fresh machine may not have apt's package lists yet.
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq >/dev/null 2>&1 || true; fi
  download || { cat "$WORK/apt.log" >&2
                echo "error: cannot download python3-sklearn (run apt-get update as root, then retry)" >&2; exit 1; }
fi
DEB="$(ls "$WORK"/python3-sklearn_*.deb)"
dpkg-deb --fsys-tarfile "$DEB" | tar -xO "$MEMBER" | gzip -dc > "$WORK/digits.csv" ||
  { echo "error: $(basename "$DEB") has no $MEMBER" >&2; exit 1; }
[[ "$(sha256 "$WORK/digits.csv")" == "$SOURCE_SHA256" ]] ||
  { echo "error: digits.csv in $(basename "$DEB") is not the expected data (sha256 differs); nothing written" >&2
    exit 1; }

# digits.csv: 64 pixels then the label, no header. Label first, pixels / 16, header row; first TRAIN_ROWS rows train.
LC_ALL=C awk -F, -v train="$WORK/train.csv" -v test="$WORK/test.csv" -v n="$TRAIN_ROWS" '
  BEGIN { header = "label"; for (i = 0; i < 64; i++) header = header ",p" i; print header > train; print header > test }
  NF != 65 { print "error: line " NR " has " NF " columns, expected 65" > "/dev/stderr"; exit 1 }
  { line = $65; for (i = 1; i <= 64; i++) line = line "," ($i / 16); print line > (NR <= n ? train : test) }
' "$WORK/digits.csv"
[[ "$(sha256 "$WORK/train.csv")" == "$TRAIN_SHA256" && "$(sha256 "$WORK/test.csv")" == "$TEST_SHA256" ]] ||
  { echo "error: the converted files differ from the expected ones (awk is $(readlink -f "$(command -v awk)"));" \
         "nothing written" >&2
    exit 1; }
mkdir -p "$DEST"
for f in train.csv test.csv; do cp "$WORK/$f" "$DEST/$f.tmp" && mv "$DEST/$f.tmp" "$DEST/$f"; done
echo "Digits ready in $DEST (train.csv: $TRAIN_ROWS images, test.csv: $(( $(wc -l < "$DEST/test.csv") - 1 )))"
