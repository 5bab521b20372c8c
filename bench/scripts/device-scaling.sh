#!/bin/bash
# Runs on the device from inside device-stage/ (see stage-device.sh): the side-by-side ceiling
# (W independent 1-worker processes at batch 1024/W, summed) and W = 1…16 at batch 1024, with and without BatchNorm.
cd "$(dirname "$0")"
[ -x node ] || { xz -dc node.xz > node && chmod +x node; }
NODE=$PWD/node
for W in 2 4 8 16; do
  B=$((1024 / W)); rm -f /tmp/ceil-*.json
  for i in $(seq 1 $W); do $NODE bench/dist/train.js --workers 1 --batch $B --repeats 3 --json 2>/dev/null | tail -1 > /tmp/ceil-$i.json & done; wait
  $NODE -e 'const fs=require("fs");let s=0;for(const f of fs.readdirSync("/tmp").filter(f=>f.startsWith("ceil-")))s+=JSON.parse(fs.readFileSync("/tmp/"+f)).samplesPerSec;console.log(JSON.stringify({bench:"ceiling",workers:+process.argv[1],batchPerProcess:+process.argv[2],samplesPerSecSum:s}))' $W $B | tee -a $OUT/device.jsonl
done
for W in 1 4 16; do
  timeout 100 $NODE bench/dist/train.js --workers $W --batch 1024 --bn --repeats 5 --json 2>/dev/null | tail -1 | tee -a $OUT/device.jsonl | cut -c1-160
done
for W in 1 2 4 8 16; do
  timeout 100 $NODE bench/dist/train.js --workers $W --batch 1024 --repeats 5 --json 2>/dev/null | tail -1 >> $OUT/device.jsonl
done
