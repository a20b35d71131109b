// Keeps the session of someone working on one long page from timing out.
//
// The server ends a session after a period without requests (see
// loom/accounts/middleware.py). Typing into a long form makes no requests, so while
// the person is active (keys, pointer, scrolling) this module POSTs to the keep-alive
// endpoint at most once per interval. No activity, no ping: an unattended page still
// times out. If the session has already ended (401) we say so instead of navigating
// away, so unsaved text is not lost.

const script = document.getElementById("loom-keepalive");
const url = script && script.dataset.url;
const intervalMs = Number((script && script.dataset.interval) || 240) * 1000;
// The request that rendered this page counted as activity.
let lastPing = Date.now();
let pending = false;
let ended = false;

function csrfToken() {
  try {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function announceEnded() {
  const region = document.getElementById("toasts");
  const text = script.dataset.expired;
  if (!region || !text) return;
  const toast = document.createElement("div");
  toast.className = "toast toast-warning";
  toast.setAttribute("role", "alert");
  const paragraph = document.createElement("p");
  paragraph.className = "toast-message";
  paragraph.textContent = text;
  toast.append(paragraph);
  region.append(toast);
}

async function ping() {
  pending = true;
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    if (response.status === 401 || response.status === 403) {
      ended = true;
      announceEnded();
    }
  } catch {
    // Offline or the server is restarting: the next activity tries again.
    lastPing = 0;
  } finally {
    pending = false;
  }
}

function onActivity() {
  if (ended || pending) return;
  const now = Date.now();
  if (now - lastPing >= intervalMs) {
    lastPing = now;
    ping();
  }
}

if (url) {
  for (const type of ["keydown", "pointerdown", "input", "wheel", "touchstart"]) {
    document.addEventListener(type, onActivity, { passive: true, capture: true });
  }
}
