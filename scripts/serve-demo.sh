#!/usr/bin/env bash
# Serves web + websockets (uvicorn) and the task worker together; Ctrl-C stops both.
set -euo pipefail
PORT="${PORT:-8000}"
uv run loom db_worker --queue-name '*' --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
uv run loom demo_signins
exec uv run uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --ws websockets --lifespan off
