#!/usr/bin/env bash
# Serves web + websockets (uvicorn) with the task worker, the outbox sweeper and the
# reminders, waitlist and analytics loops beside it. Ctrl-C stops them all.
set -euo pipefail
PORT="${PORT:-8000}"
# Links in emails and in the printed sign-ins point at the port actually served.
export LOOM_BASE_URL="${LOOM_BASE_URL:-http://127.0.0.1:${PORT}}"
# Web Push needs VAPID keys: the demo makes a pair once and keeps it in the data directory
# (browsers tie a device's subscription to the public key, so it must not change).
if [ -z "${LOOM_VAPID_PRIVATE_KEY:-}" ]; then
  keys="${LOOM_DATA_DIR:-var}/vapid.env"
  if [ ! -s "$keys" ]; then
    mkdir -p "$(dirname "$keys")"
    uv run loom vapid_keys > "$keys"
  fi
  set -a
  # shellcheck disable=SC1090
  . "$keys"
  set +a
fi
# Each background loop runs under a small supervisor: a loop that stops on an error (its
# heartbeat on the operations dashboard says which) is started again after 10 seconds.
supervise() {
  (
    child=""
    trap 'kill "$child" 2>/dev/null; exit 0' INT TERM
    while true; do
      uv run loom "$@" &
      child=$!
      wait "$child" || true
      echo "loom $1 stopped; starting it again in 10 s" >&2
      sleep 10 &
      wait $! || true
    done
  ) &
}
supervise db_worker --queue-name '*' --interval 1
worker=$!
# The sweeper re-claims messages whose sender crashed mid-delivery (expired leases).
supervise outbox_drain --loop
sweeper=$!
# Queues session reminders when they fall due (the outbox above delivers them).
supervise reminders_dispatch --loop
reminders=$!
# Passes a group-session seat to the next person when a waitlist offer runs out.
supervise waitlist_expire --loop
waitlist=$!
# Deletes realtime events past their retention (a socket that far behind resyncs).
supervise stream_prune --loop
prune=$!
# Sends the hourly and daily notification summaries (email digests) when they fall due.
supervise notifications_digest --loop
digest=$!
# Moves buffered product events into the database (a no-op without Redis).
supervise analytics_flush --loop
events=$!
# Rolls up daily activity and the KPIs every 5 minutes; prunes old events daily.
supervise analytics_rollup --loop
rollup=$!
# Deletes expired exports (file and row) and fails exports whose worker died.
supervise analytics_exports_prune --loop
exports=$!
trap 'kill "$worker" "$sweeper" "$reminders" "$waitlist" "$prune" "$digest" "$events" "$rollup" "$exports" 2>/dev/null || true' EXIT INT TERM
uv run loom demo_signins
echo "Serving Loom on http://127.0.0.1:${PORT}"
uv run uvicorn config.asgi:application --host 127.0.0.1 --port "$PORT" --ws websockets-sansio --lifespan off
