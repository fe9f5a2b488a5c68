#!/usr/bin/env bash
# Launch-overhead benchmark, side by side in one run (benches/launch.rs):
#   bare `true` | bare `bwrap --ro-bind / / true` | bwrap with Paddock's args
#   | the library | `paddock sandbox run -- true` | srt (Anthropic sandbox-runtime)
# srt is installed into a throwaway directory with npm; on Linux it needs the
# apt packages `ripgrep` and `socat` (srt checks for them itself). Set
# LAUNCH_BENCH_NO_SRT=1 to leave it out.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/paddock/target}"
cargo build --release -p paddock-cli
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$CARGO_TARGET_DIR/release/paddock" "$work/paddock" # a private copy: a shared target dir is rebuilt by others
srt=""
if [ -z "${LAUNCH_BENCH_NO_SRT:-}" ]; then
  if (cd "$work" && npm install --silent --no-audit --no-fund @anthropic-ai/sandbox-runtime >/dev/null 2>&1); then
    srt="$work/node_modules/.bin/srt"
  else
    echo "npm install @anthropic-ai/sandbox-runtime failed: srt not measured" >&2
  fi
fi
PADDOCK_BIN="$work/paddock" SRT_BIN="$srt" cargo bench -p paddock-sandbox --bench launch
