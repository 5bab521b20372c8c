#!/usr/bin/env bash
# Makes sure a headless Chromium is on PATH for the report's browser test
# (apps/trainer/test/report-browser.test.ts): installs Debian's `chromium` package with apt-get when
# it is missing. Idempotent; prints the browser's path. Called by .ci/run before the suite.
set -euo pipefail
find_browser() {
  for b in "${WEFT_CHROMIUM:-}" chromium chromium-browser google-chrome; do
    [ -n "$b" ] && command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
  done
  return 1
}
if path=$(find_browser); then echo "$path"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no chromium on PATH and no apt-get to install it: install Chromium, or set WEFT_CHROMIUM to a Chrome/Chromium binary" >&2
  exit 1
fi
as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
echo "ensure-chromium: installing Debian's chromium package (apt-get)…" >&2
${as_root[@]+"${as_root[@]}"} apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive ${as_root[@]+"${as_root[@]}"} apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
find_browser || { echo "ensure-chromium: apt-get installed chromium but it is not on PATH" >&2; exit 1; }
