# Sourced by the scripts: the project root, Node 22 first on PATH, and JSON progress lines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$PATH"
export NODE_PATH=/usr/share/nodejs  # emcc's optimiser finds acorn here
export WRANGLER_SEND_METRICS=false
CALLER_DIR="$PWD"
cd "$ROOT"

# A path the caller gave, relative to where the caller stood before the move to the root.
from_caller() {
  case "$1" in
    /* | "") printf '%s' "$1" ;;
    *) printf '%s' "$CALLER_DIR/$1" ;;
  esac
}

step() { printf '{"event":"step","step":"%s"}\n' "$1" >&2; }
