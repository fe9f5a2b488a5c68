#!/usr/bin/env bash
# Launch-overhead benchmark, side by side in one run:
#   bare `true` | library spawn | `paddock sandbox run -- true` | srt (sandbox-runtime)
# srt is installed into a throwaway directory with npm (needs `ripgrep` and
# `socat` from apt, which srt itself requires on Linux).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/paddock/target}"
cargo build --release -p paddock-cli
export PADDOCK_BIN="$CARGO_TARGET_DIR/release/paddock"
srt_dir="$(mktemp -d)"
trap 'rm -rf "$srt_dir"' EXIT
if (cd "$srt_dir" && npm install --silent --no-audit --no-fund @anthropic-ai/sandbox-runtime >/dev/null 2>&1); then
  export SRT_BIN="$srt_dir/node_modules/.bin/srt"
else
  echo "npm install @anthropic-ai/sandbox-runtime failed: srt not measured" >&2
fi
cargo bench -p paddock-sandbox --bench launch
