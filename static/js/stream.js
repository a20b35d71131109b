// The site-wide realtime client: one socket per page to /ws/stream/ (loom/core/consumers.py
// documents the protocol). It keeps the number of the last event seen, resumes from it
// after every reconnect, and hands what arrives to the page as document events:
//   "loom:event"  detail = {type: "event", seq, kind, data}
//   "loom:typing" detail = {type: "typing", conversation, user, expires_in}
//   "loom:resync" detail = {seq}: too much was missed, refetch what the page shows
//   "loom:state"  detail = {state: "connected" | "reconnecting" | "polling"}
// When the socket cannot be opened (three failures in a row, or no WebSocket at all) it
// polls the events URL every few seconds and still tries the socket now and then.
// window.loomStream.command(frame) sends a command and resolves with its reply frame.

const script = document.getElementById("loom-stream");

const BACKOFF_FIRST = 500;
const BACKOFF_MAX = 10000;
const FAILURES_BEFORE_POLLING = 3;
const POLL_EVERY = 3000;
const SOCKET_RETRY_WHILE_POLLING = 30000;
const PING_EVERY = 25000;
const PONG_WITHIN = 10000;
const UNREAD_DEBOUNCE = 400;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) {
    return decodeURIComponent(match[1]);
  }
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

class Stream {
  constructor(element) {
    this.element = element;
    this.me = Number(element.dataset.user);
    this.seq = Number(element.dataset.seq) || 0;
    this.state = "reconnecting";
    this.socket = null;
    this.ready = false;
    this.failures = 0;
    this.backoff = BACKOFF_FIRST;
    this.pending = new Map();
    this.refs = 0;
    this.timers = {};
    this.polling = false;
    this.pollFailed = false;
    this.stopped = false;
    this.banner = document.getElementById("stream-status");
  }

  // --- State and the banner ------------------------------------------------------------

  setState(state) {
    if (state === this.state) {
      this.updateBanner();
      return;
    }
    this.state = state;
    this.updateBanner();
    document.dispatchEvent(new CustomEvent("loom:state", { detail: { state } }));
  }

  get up() {
    return this.state === "connected" || (this.state === "polling" && !this.pollFailed);
  }

  updateBanner() {
    if (!this.banner) {
      return;
    }
    const down = !this.up;
    const text = down ? this.element.dataset.reconnecting || "" : "";
    if (this.banner.textContent !== text) {
      this.banner.textContent = text;
    }
    this.banner.classList.toggle("is-visible", down);
  }

  // --- The socket ------------------------------------------------------------------------

  socketUrl() {
    const url = new URL(this.element.dataset.ws || "/ws/stream/", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  connect() {
    clearTimeout(this.timers.reconnect);
    if (this.stopped || this.socket || !("WebSocket" in window)) {
      if (!("WebSocket" in window)) {
        this.startPolling();
      }
      return;
    }
    if (navigator.onLine === false) {
      this.connectFailed();
      return;
    }
    let socket;
    try {
      socket = new WebSocket(this.socketUrl());
    } catch {
      this.connectFailed();
      return;
    }
    this.socket = socket;
    this.ready = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", last_seq: this.resumeFrom() }));
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) {
        return;
      }
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(frame, "socket");
    });
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
    socket.addEventListener("error", () => {
      // "close" follows; nothing to do here.
    });
  }

  resumeFrom() {
    // The page's position, or a larger one a page module set through window.loomStream.seq
    // after loading newer data.
    return this.seq;
  }

  closed(socket, code) {
    if (socket !== this.socket) {
      return;
    }
    const wasReady = this.ready;
    this.socket = null;
    this.ready = false;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.rejectPending("disconnected");
    if (code === 4401) {
      // Signed out: the keepalive script tells the person; there is nothing to resume.
      this.stopped = true;
      this.setState("reconnecting");
      return;
    }
    if (wasReady) {
      this.failures = 0;
      this.backoff = BACKOFF_FIRST;
    }
    this.connectFailed();
  }

  connectFailed() {
    this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_POLLING && this.element.dataset.poll) {
      this.startPolling();
      this.timers.reconnect = setTimeout(() => this.connect(), SOCKET_RETRY_WHILE_POLLING);
      return;
    }
    this.setState("reconnecting");
    // Full jitter: many pages coming back after a restart do not arrive together.
    const wait = Math.round(this.backoff / 2 + (Math.random() * this.backoff) / 2);
    this.backoff = Math.min(BACKOFF_MAX, this.backoff * 2);
    this.timers.reconnect = setTimeout(() => this.connect(), wait);
  }

  becameReady() {
    this.ready = true;
    this.failures = 0;
    this.backoff = BACKOFF_FIRST;
    this.stopPolling();
    this.setState("connected");
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => this.ping(), PING_EVERY);
  }

  ping() {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    this.socket.send(JSON.stringify({ type: "ping" }));
    clearTimeout(this.timers.pong);
    // No answer: the connection is dead without having said so (a sleeping laptop).
    this.timers.pong = setTimeout(() => this.drop(), PONG_WITHIN);
  }

  drop() {
    const socket = this.socket;
    if (!socket) {
      return;
    }
    try {
      socket.close();
    } catch {
      // already closing
    }
    this.closed(socket, 1006);
  }

  // --- Polling ---------------------------------------------------------------------------

  startPolling() {
    if (this.polling || !this.element.dataset.poll) {
      this.setState(this.polling ? "polling" : "reconnecting");
      return;
    }
    this.polling = true;
    this.setState("polling");
    this.poll();
  }

  stopPolling() {
    this.polling = false;
    this.pollFailed = false;
    clearTimeout(this.timers.poll);
  }

  async poll() {
    if (!this.polling) {
      return;
    }
    const url = new URL(this.element.dataset.poll, window.location.href);
    url.searchParams.set("after", String(this.resumeFrom()));
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401 || response.status === 403) {
        this.stopped = true;
        this.stopPolling();
        return;
      }
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      const body = await response.json();
      this.pollFailed = false;
      for (const frame of body.frames || []) {
        this.receive(frame, "poll");
      }
      if (typeof body.seq === "number" && body.seq > this.seq && !(body.frames || []).length) {
        this.seq = body.seq;
      }
    } catch {
      this.pollFailed = true;
    }
    if (this.polling) {
      this.setState("polling");
      this.timers.poll = setTimeout(() => this.poll(), POLL_EVERY);
    }
  }

  // --- Frames ----------------------------------------------------------------------------

  receive(frame, via) {
    switch (frame.type) {
      case "event":
        if (typeof frame.seq === "number" && frame.seq <= this.seq) {
          return; // already applied (a replay overlapping what the page loaded)
        }
        this.seq = frame.seq;
        this.applyBadges(frame);
        document.dispatchEvent(new CustomEvent("loom:event", { detail: frame }));
        break;
      case "ready":
        if (typeof frame.seq === "number" && frame.seq > this.seq) {
          this.seq = frame.seq;
        }
        if (via === "socket") {
          this.becameReady();
        }
        break;
      case "resync":
        this.seq = Number(frame.seq) || 0;
        if (via === "socket") {
          this.becameReady();
        }
        this.refreshUnread();
        document.dispatchEvent(new CustomEvent("loom:resync", { detail: { seq: this.seq } }));
        break;
      case "typing":
        document.dispatchEvent(new CustomEvent("loom:typing", { detail: frame }));
        break;
      case "pong":
        clearTimeout(this.timers.pong);
        break;
      case "reply": {
        const waiting = this.pending.get(frame.ref);
        if (waiting) {
          this.pending.delete(frame.ref);
          waiting.resolve(frame);
        }
        break;
      }
      default:
        break;
    }
  }

  rejectPending(reason) {
    for (const waiting of this.pending.values()) {
      waiting.reject(new Error(reason));
    }
    this.pending.clear();
  }

  // --- Commands --------------------------------------------------------------------------

  command(frame) {
    if (this.socket && this.ready && this.socket.readyState === WebSocket.OPEN) {
      this.refs += 1;
      const ref = `r${this.refs}-${Date.now().toString(36)}`;
      return new Promise((resolve, reject) => {
        this.pending.set(ref, { resolve, reject });
        try {
          this.socket.send(JSON.stringify({ ...frame, ref }));
        } catch (error) {
          this.pending.delete(ref);
          reject(error);
        }
      });
    }
    if (this.polling && !this.pollFailed && this.element.dataset.command) {
      return this.post(frame);
    }
    return Promise.reject(new Error("offline"));
  }

  async post(frame) {
    const response = await fetch(this.element.dataset.command, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(frame),
    });
    if (response.status >= 500 || response.status === 0) {
      throw new Error("offline");
    }
    const body = await response.json().catch(() => ({}));
    if (body && body.type === "reply") {
      return body;
    }
    const detail = body.detail || body.title || String(response.status);
    return { type: "reply", ok: false, error: { code: body.code || "refused", detail } };
  }

  // --- Header badges ---------------------------------------------------------------------

  applyBadges(frame) {
    const data = frame.data || {};
    if (frame.kind === "notification.created" || frame.kind === "notification.read") {
      if (typeof data.unread === "number") {
        this.setBadge("notifications", data.unread);
      }
    } else if (frame.kind === "message.created") {
      if (Number(data.sender) !== this.me) {
        this.refreshUnread();
      }
    } else if (frame.kind === "conversation.read") {
      if (Number(data.user) === this.me) {
        this.refreshUnread();
      }
    }
  }

  refreshUnread() {
    const url = this.element.dataset.unread;
    if (!url) {
      return;
    }
    clearTimeout(this.timers.unread);
    this.timers.unread = setTimeout(async () => {
      try {
        const response = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.ok) {
          const body = await response.json();
          this.setBadge("messages", Number(body.unread) || 0);
        }
      } catch {
        // The next event or reconnect refreshes it.
      }
    }, UNREAD_DEBOUNCE);
  }

  setBadge(name, count) {
    for (const link of document.querySelectorAll(`[data-nav-badge="${name}"]`)) {
      const label = link.dataset.navLabel || "";
      let badge = link.querySelector(".nav-count");
      let spoken = link.querySelector(".nav-count-text");
      if (count > 0) {
        const unread = fill(this.element.dataset.unreadCount || "%(count)s", { count });
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "badge badge-info nav-count";
          badge.setAttribute("aria-hidden", "true");
          spoken = document.createElement("span");
          spoken.className = "visually-hidden nav-count-text";
          link.append(" ", badge, spoken);
        }
        badge.textContent = String(count);
        if (spoken) {
          spoken.textContent = ` (${unread})`;
        }
        link.setAttribute(
          "aria-label",
          fill(this.element.dataset.badgeLabel || "%(label)s, %(count)s", { label, count }),
        );
      } else {
        badge?.remove();
        spoken?.remove();
        link.removeAttribute("aria-label");
      }
    }
  }

  // --- Start -----------------------------------------------------------------------------

  start() {
    this.updateBanner();
    window.addEventListener("offline", () => this.drop());
    window.addEventListener("online", () => {
      this.failures = 0;
      this.backoff = BACKOFF_FIRST;
      if (this.polling) {
        clearTimeout(this.timers.poll);
        this.poll();
      }
      if (!this.socket) {
        this.connect();
      }
    });
    document.addEventListener("visibilitychange", () => {
      // Back to a tab that slept: check the socket at once rather than at the next ping.
      if (document.visibilityState === "visible" && this.ready) {
        this.ping();
      }
    });
    if ("WebSocket" in window) {
      this.connect();
    } else {
      this.startPolling();
    }
  }
}

if (script && !window.loomStream) {
  const stream = new Stream(script);
  window.loomStream = {
    get seq() {
      return stream.seq;
    },
    set seq(value) {
      if (Number(value) > stream.seq) {
        stream.seq = Number(value);
      }
    },
    get state() {
      return stream.state;
    },
    get user() {
      return stream.me;
    },
    command: (frame) => stream.command(frame),
  };
  stream.start();
}
