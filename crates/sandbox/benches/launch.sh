#!/usr/bin/env bash
# Launch-overhead benchmark, side by side in one run:
#   bare `true` | `paddock sandbox run -- true` | srt (Anthropic sandbox-runtime)
# then the library-level bench (SandboxedCommand::spawn vs bare).
# srt is installed into a throwaway directory with npm; on Linux it needs the
# apt packages `ripgrep` and `socat` (srt checks for them itself).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/paddock/target}"
cargo build --release -p paddock-cli
paddock="$(mktemp -d)/paddock"
cp "$CARGO_TARGET_DIR/release/paddock" "$paddock" # a private copy: the shared target dir is rebuilt by others
srt_dir="$(mktemp -d)"
trap 'rm -rf "$srt_dir" "$(dirname "$paddock")"' EXIT
srt=""
if (cd "$srt_dir" && npm install --silent --no-audit --no-fund @anthropic-ai/sandbox-runtime >/dev/null 2>&1); then
  srt="$srt_dir/node_modules/.bin/srt"
else
  echo "npm install @anthropic-ai/sandbox-runtime failed: srt not measured" >&2
fi
python3 crates/sandbox/benches/launch.py "$paddock" "$srt" "${LAUNCH_BENCH_ITERS:-200}"
cargo bench -p paddock-sandbox --bench launch
