#!/usr/bin/env bash
# Serves web + websockets (uvicorn) with the task worker and the outbox sweeper beside it.
# Ctrl-C stops all three.
set -euo pipefail
PORT="${PORT:-8000}"
# Links in emails and in the printed sign-ins point at the port actually served.
export LOOM_BASE_URL="${LOOM_BASE_URL:-http://127.0.0.1:${PORT}}"
uv run loom db_worker --queue-name '*' --interval 1 &
worker=$!
# The sweeper re-claims messages whose sender crashed mid-delivery (expired leases).
uv run loom outbox_drain --loop &
sweeper=$!
trap 'kill "$worker" "$sweeper" 2>/dev/null || true' EXIT INT TERM
uv run loom demo_signins
echo "Serving Loom on http://127.0.0.1:${PORT}"
uv run uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --ws websockets-sansio --lifespan off
