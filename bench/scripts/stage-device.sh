#!/bin/bash
# Builds device-stage/: a self-contained copy of the built packages, bench/dist, comlink, tinybench
# and an xz-compressed copy of this machine's node binary (≈ 26 MB), for a machine without Node
# (the 16-core device). Run `pnpm build` first. Then run bench/scripts/device-scaling.sh there
# from inside device-stage/ (copy it in), with OUT set to a results folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf device-stage && mkdir -p device-stage/node_modules/@weft device-stage/bench
for p in tensor layers norm optim parallel; do
  mkdir -p device-stage/node_modules/@weft/$p
  cp -r packages/$p/dist packages/$p/package.json device-stage/node_modules/@weft/$p/
done
cp -r bench/dist bench/package.json device-stage/bench/
cp -rL node_modules/.pnpm/comlink@4.4.2/node_modules/comlink device-stage/node_modules/
cp -rL node_modules/.pnpm/tinybench@6.2.4/node_modules/tinybench device-stage/node_modules/
cp bench/scripts/device-scaling.sh device-stage/run.sh
xz -T2 -6 -c "$(command -v node)" > device-stage/node.xz
du -sh device-stage
