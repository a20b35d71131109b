// The conversation page (messaging/conversation.html), enhanced: live messages from the
// stream (static/js/stream.js), sending over the socket with a pending queue that
// survives reloads, typing, read receipts, reactions, replies, edits, deletes and files.
//
// Message bodies arrive as HTML the server rendered from markdown and cleaned with an
// allowlist (loom/messaging/markdown.py); they are the only HTML inserted. Everything
// else — names, excerpts, file names, labels — is set as text.
//
// Sending: each message gets a client_id (a UUID) when it is written, and keeps it
// through every retry, so the server stores it once however often it is sent. The queue
// is kept in localStorage per conversation; whatever is in it is sent again when the
// stream (re)connects. No reply within 10 s: sent again; three tries: "Not sent".

const configElement = document.getElementById("chat-config");
const root = document.querySelector("[data-chat]");

const REPLY_WITHIN = 10000;
const TRIES = 3;
const TYPING_EVERY = 3000;
const ACTIONS_REFRESH = 60000;

function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    node.setAttribute(name, value === true ? "" : String(value));
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) {
    return field.value;
  }
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function fileSize(bytes) {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${Math.round(bytes / 1024)} KB`;
  }
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

class Chat {
  constructor(element, config) {
    this.root = element;
    this.config = config;
    this.labels = config.labels;
    this.me = Number(config.me);
    this.conversation = Number(config.conversation);
    this.messages = new Map();
    this.readState = config.readState;
    this.hasMore = config.hasMore;
    this.log = element.querySelector("[data-chat-log]");
    this.typingLine = element.querySelector("[data-chat-typing]");
    this.form = element.querySelector("[data-chat-composer]");
    this.textarea = this.form ? this.form.querySelector("textarea") : null;
    this.replyBar = element.querySelector("[data-chat-reply]");
    this.filesList = element.querySelector("[data-chat-files]");
    this.attachInput = element.querySelector("[data-chat-attach]");
    this.deleteDialog = element.querySelector("[data-chat-delete]");
    this.earlier = element.querySelector("[data-chat-earlier]");
    this.storageKey = `loom:chat:${this.conversation}:pending`;
    this.pending = this.loadPending();
    this.attempts = new Map();
    this.replyTo = null;
    this.files = [];
    this.uploading = 0;
    this.typingTimers = new Map();
    this.lastTypingSent = 0;
    this.readSent = Number(config.lastRead) || 0;
    this.dividerBefore = null;
    this.timeFormat = this.formatter({ hour: "2-digit", minute: "2-digit" });
    this.dateTimeFormat = this.formatter({ dateStyle: "medium", timeStyle: "short" });
    this.dayFormat = this.formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  }

  formatter(options) {
    try {
      return new Intl.DateTimeFormat(this.config.language || undefined, {
        ...options,
        timeZone: this.config.timeZone || undefined,
      });
    } catch {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  // --- Start -------------------------------------------------------------------------------

  start() {
    for (const message of this.config.messages) {
      this.messages.set(message.id, message);
    }
    const firstUnread = this.config.messages.find(
      (m) => m.id > (Number(this.config.lastRead) || 0) && Number(m.sender) !== this.me,
    );
    this.dividerBefore = firstUnread ? firstUnread.id : null;
    this.renderAll();
    this.setUpEarlier();
    this.setUpComposer();
    this.setUpDeleteDialog();
    this.listen();
    this.scrollToBottom(true);
    setInterval(() => this.refreshActions(), ACTIONS_REFRESH);
    if (window.loomStream && window.loomStream.state === "connected") {
      this.flushPending();
    }
    this.maybeMarkRead();
  }

  listen() {
    document.addEventListener("loom:event", (event) => this.onEvent(event.detail));
    document.addEventListener("loom:typing", (event) => this.onTyping(event.detail));
    document.addEventListener("loom:resync", () => this.refetch());
    document.addEventListener("loom:state", (event) => {
      const state = event.detail.state;
      if (state === "connected" || state === "polling") {
        this.flushPending();
        this.maybeMarkRead();
      }
    });
    document.addEventListener("visibilitychange", () => this.maybeMarkRead());
    window.addEventListener("focus", () => this.maybeMarkRead());
    if ("IntersectionObserver" in window) {
      this.observer = new IntersectionObserver(
        (entries) => {
          if (entries.some((entry) => entry.isIntersecting)) {
            this.maybeMarkRead();
          }
        },
        { root: null, threshold: 0.1 },
      );
    }
  }

  // --- Rendering ---------------------------------------------------------------------------

  name(userId) {
    return this.config.people[String(userId)] || "";
  }

  time(iso) {
    const date = new Date(iso);
    const today = this.dayFormat.format(new Date());
    return this.dayFormat.format(date) === today
      ? this.timeFormat.format(date)
      : this.dateTimeFormat.format(date);
  }

  canEdit(message) {
    if (Number(message.sender) !== this.me || message.deleted || !message.id) {
      return false;
    }
    const age = Date.now() - new Date(message.created_at).getTime();
    return age < this.config.editMinutes * 60000;
  }

  sortedMessages() {
    return Array.from(this.messages.values()).sort((a, b) => a.id - b.id);
  }

  renderAll() {
    this.log.replaceChildren();
    const list = this.sortedMessages();
    for (const message of list) {
      this.log.append(...this.rowsFor(message));
    }
    for (const item of this.pending) {
      this.log.append(this.renderPending(item));
    }
    if (!list.length && !this.pending.length) {
      this.log.append(el("li", { class: "chat-empty muted", "data-chat-empty": true }, this.labels.empty));
    }
    this.renderSeen();
    this.observeNewest();
  }

  rowsFor(message) {
    const rows = [];
    if (this.dividerBefore === message.id) {
      const divider = el("li", { class: "chat-divider" });
      divider.append(el("span", {}, this.labels.newMessages));
      rows.push(divider);
    }
    rows.push(this.renderRow(message));
    return rows;
  }

  renderRow(message) {
    const own = Number(message.sender) === this.me;
    const row = el("li", {
      class: `message-row${own ? " is-own" : ""}`,
      id: `message-${message.id}`,
      "data-row-id": message.id,
    });
    row.append(this.renderArticle(message, own));
    return row;
  }

  renderArticle(message, own) {
    const sender = this.name(message.sender);
    const when = this.time(message.created_at);
    const article = el("article", {
      class: `message${message.deleted ? " is-deleted" : ""}`,
      "data-message-id": message.id,
      "data-client-id": message.client_id,
      "aria-label": fill(this.labels.messageFrom, { name: sender, time: when }),
    });
    const meta = el("p", { class: "message-meta" });
    meta.append(
      el("span", { class: "message-sender", dir: "auto" }, sender),
      " ",
      el("time", { datetime: message.created_at }, when),
    );
    if (message.edited_at && !message.deleted) {
      const href = this.config.urls.editHistory.replace("/0/", `/${message.id}/`);
      meta.append(" ", el("a", { class: "message-edited", href }, this.labels.edited));
    }
    article.append(meta);
    if (message.reply_to && !message.deleted) {
      const quote = el("blockquote", { class: "message-quote" });
      const link = el("a", { href: `#message-${message.reply_to.id}` });
      link.append(
        el("span", { class: "message-quote-sender", dir: "auto" }, this.name(message.reply_to.sender)),
        el("span", { class: "message-quote-text", dir: "auto" }, message.reply_to.excerpt || this.labels.deleted),
      );
      quote.append(link);
      article.append(quote);
    }
    const body = el("div", { class: "message-body", dir: "auto" });
    if (message.deleted) {
      body.append(el("p", { class: "message-deleted" }, this.labels.deleted));
      article.append(body);
      return article;
    }
    // Trusted: rendered and sanitized on the server (see the top of this file).
    body.innerHTML = message.body_html;
    article.append(body);
    if (message.attachments && message.attachments.length) {
      article.append(this.renderAttachments(message.attachments));
    }
    article.append(this.renderReactions(message));
    article.append(this.renderActions(message, own));
    article.append(el("p", { class: "message-status", "data-status": true }));
    return article;
  }

  renderAttachments(attachments) {
    const list = el("ul", { class: "message-attachments" });
    for (const file of attachments) {
      const item = el("li");
      if (file.kind === "image") {
        const link = el("a", { href: file.url });
        const image = el("img", {
          src: file.url,
          alt: file.name,
          loading: "lazy",
          width: file.width || null,
          height: file.height || null,
        });
        link.append(image);
        item.append(link);
      } else {
        item.append(
          el("a", { class: "message-file", href: file.url, dir: "auto" }, file.name),
          " ",
          el("span", { class: "muted text-sm" }, `(${fileSize(file.size)})`),
        );
      }
      list.append(item);
    }
    return list;
  }

  reactionName(emoji) {
    const found = this.config.reactions.find((r) => r.emoji === emoji);
    return found ? found.name : emoji;
  }

  renderReactions(message) {
    const list = el("ul", { class: "message-reactions", "aria-label": this.labels.reactions });
    for (const reaction of message.reactions || []) {
      const users = reaction.users || [];
      if (!users.length) {
        continue;
      }
      const mine = users.map(Number).includes(this.me);
      const button = el("button", {
        type: "button",
        class: "reaction-chip",
        "aria-pressed": mine ? "true" : "false",
        "aria-label": fill(this.labels.reactionCount, {
          name: this.reactionName(reaction.emoji),
          count: users.length,
        }),
        "data-emoji": reaction.emoji,
      });
      button.append(el("span", { "aria-hidden": "true" }, reaction.emoji), ` ${users.length}`);
      button.addEventListener("click", () => this.react(message.id, reaction.emoji, !mine));
      const item = el("li");
      item.append(button);
      list.append(item);
    }
    list.hidden = !list.children.length;
    return list;
  }

  renderActions(message, own) {
    const actions = el("div", { class: "message-actions", role: "group", "aria-label": this.labels.actions });
    const menuId = `react-menu-${message.id}`;
    const react = el("button", {
      type: "button",
      class: "button button-quiet button-small",
      "aria-expanded": "false",
      "aria-controls": menuId,
      "data-action": "react",
    }, this.labels.react);
    const menu = el("div", { class: "reaction-menu", id: menuId, role: "group", "aria-label": this.labels.react, hidden: true });
    for (const option of this.config.reactions) {
      const mine = (message.reactions || []).some(
        (r) => r.emoji === option.emoji && (r.users || []).map(Number).includes(this.me),
      );
      const choice = el("button", {
        type: "button",
        class: "reaction-option",
        "aria-label": option.name,
        "aria-pressed": mine ? "true" : "false",
        title: option.name,
      }, option.emoji);
      choice.addEventListener("click", () => {
        this.closeMenu(menu, react, true);
        this.react(message.id, option.emoji, !mine);
      });
      menu.append(choice);
    }
    react.addEventListener("click", () => {
      if (menu.hidden) {
        this.openMenu(menu, react);
      } else {
        this.closeMenu(menu, react, true);
      }
    });
    menu.addEventListener("keydown", (event) => this.menuKeys(event, menu, react));
    const reply = el("button", { type: "button", class: "button button-quiet button-small", "data-action": "reply" }, this.labels.reply);
    reply.addEventListener("click", () => this.startReply(message));
    actions.append(react, reply);
    if (this.config.readOnly) {
      react.hidden = true;
      reply.hidden = true;
    }
    if (own) {
      const edit = el("button", { type: "button", class: "button button-quiet button-small", "data-action": "edit" }, this.labels.edit);
      edit.hidden = !this.canEdit(message) || this.config.readOnly;
      edit.addEventListener("click", () => this.startEdit(message.id));
      const remove = el("button", { type: "button", class: "button button-quiet button-small", "data-action": "delete" }, this.labels.delete);
      remove.hidden = this.config.readOnly;
      remove.addEventListener("click", () => this.confirmDelete(message.id, remove));
      actions.append(edit, remove);
    }
    actions.append(menu);
    return actions;
  }

  openMenu(menu, opener) {
    for (const other of this.log.querySelectorAll(".reaction-menu:not([hidden])")) {
      const button = this.log.querySelector(`[aria-controls="${other.id}"]`);
      this.closeMenu(other, button, false);
    }
    menu.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    const first = menu.querySelector("button");
    if (first) {
      first.focus();
    }
  }

  closeMenu(menu, opener, refocus) {
    menu.hidden = true;
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      if (refocus) {
        opener.focus();
      }
    }
  }

  menuKeys(event, menu, opener) {
    const options = Array.from(menu.querySelectorAll("button"));
    const index = options.indexOf(document.activeElement);
    const rtl = getComputedStyle(menu).direction === "rtl";
    const next = rtl ? "ArrowLeft" : "ArrowRight";
    const previous = rtl ? "ArrowRight" : "ArrowLeft";
    if (event.key === "Escape") {
      event.preventDefault();
      this.closeMenu(menu, opener, true);
    } else if (event.key === next || event.key === "ArrowDown") {
      event.preventDefault();
      options[(index + 1) % options.length].focus();
    } else if (event.key === previous || event.key === "ArrowUp") {
      event.preventDefault();
      options[(index - 1 + options.length) % options.length].focus();
    } else if (event.key === "Home") {
      event.preventDefault();
      options[0].focus();
    } else if (event.key === "End") {
      event.preventDefault();
      options[options.length - 1].focus();
    }
  }

  refreshActions() {
    for (const message of this.messages.values()) {
      if (Number(message.sender) !== this.me) {
        continue;
      }
      const button = this.log.querySelector(`#message-${message.id} [data-action="edit"]`);
      if (button && !button.hidden && !this.canEdit(message)) {
        button.hidden = true;
      }
    }
  }

  renderSeen() {
    for (const old of this.log.querySelectorAll(".message-seen")) {
      old.remove();
    }
    if (!this.readState || !this.readState.message) {
      return;
    }
    const readUpTo = Number(this.readState.message);
    const own = this.sortedMessages().filter(
      (m) => Number(m.sender) === this.me && m.id <= readUpTo && !m.deleted,
    );
    const last = own[own.length - 1];
    if (!last) {
      return;
    }
    const status = this.log.querySelector(`#message-${last.id} [data-status]`);
    if (!status) {
      return;
    }
    const at = this.readState.at ? this.timeFormat.format(new Date(this.readState.at)) : "";
    status.append(el("span", { class: "message-seen" }, fill(this.labels.seen, { time: at }).trim()));
  }

  // --- Keeping the log in step -------------------------------------------------------------

  upsert(message) {
    const known = this.messages.has(message.id);
    this.messages.set(message.id, message);
    const pendingRow = this.log.querySelector(
      `.message-row.is-pending[data-client-id="${CSS.escape(message.client_id)}"]`,
    );
    if (pendingRow && Number(message.sender) === this.me) {
      this.dropPending(message.client_id);
      pendingRow.replaceWith(this.renderRow(message));
      // Pending rows sit at the end; keep id order if others arrived meanwhile.
      this.reorder();
    } else if (known) {
      const row = this.log.querySelector(`#message-${message.id}`);
      if (row) {
        const hadFocus = row.contains(document.activeElement);
        // A keyboard user keeps their place: the same control of the new row gets focus
        // (a reaction or edit arriving live must not throw focus off the React button).
        const action = hadFocus ? document.activeElement.dataset.action : undefined;
        const replacement = this.renderRow(message);
        row.replaceWith(replacement);
        if (hadFocus) {
          const same = action ? replacement.querySelector(`[data-action="${action}"]`) : null;
          if (same) {
            same.focus();
          } else {
            replacement.querySelector("article").setAttribute("tabindex", "-1");
            replacement.querySelector("article").focus();
          }
        }
      }
    } else {
      this.insertRow(message);
    }
    this.log.querySelector("[data-chat-empty]")?.remove();
    this.renderSeen();
  }

  insertRow(message) {
    const rows = Array.from(this.log.querySelectorAll(".message-row[data-row-id]"));
    const after = rows.filter((row) => Number(row.dataset.rowId) > message.id);
    const row = this.renderRow(message);
    if (after.length) {
      after[0].before(row);
    } else {
      const firstPending = this.log.querySelector(".message-row.is-pending");
      if (firstPending) {
        firstPending.before(row);
      } else {
        this.log.append(row);
      }
    }
  }

  reorder() {
    const rows = Array.from(this.log.querySelectorAll(".message-row[data-row-id]"));
    const sorted = [...rows].sort((a, b) => Number(a.dataset.rowId) - Number(b.dataset.rowId));
    if (rows.every((row, i) => row === sorted[i])) {
      return;
    }
    const firstPending = this.log.querySelector(".message-row.is-pending");
    for (const row of sorted) {
      if (firstPending) {
        firstPending.before(row);
      } else {
        this.log.append(row);
      }
    }
  }

  nearBottom() {
    const log = this.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }

  scrollToBottom(force = false) {
    if (force || this.nearBottom()) {
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  observeNewest() {
    if (!this.observer) {
      return;
    }
    this.observer.disconnect();
    const rows = this.log.querySelectorAll(".message-row[data-row-id]");
    const last = rows[rows.length - 1];
    if (last) {
      this.observer.observe(last);
    }
  }

  onEvent(frame) {
    const data = frame.data || {};
    if (frame.kind === "message.created" || frame.kind === "message.updated") {
      if (Number(data.conversation) !== this.conversation) {
        return;
      }
      if (frame.kind === "message.created" && !this.config.newest && !this.messages.has(data.id)) {
        return; // an older page: new messages belong to the newest one
      }
      const stick = this.nearBottom();
      this.upsert(data);
      if (frame.kind === "message.created") {
        if (Number(data.sender) !== this.me) {
          this.clearTyping(Number(data.sender));
        }
        if (stick || Number(data.sender) === this.me) {
          this.scrollToBottom(true);
        }
        this.observeNewest();
        this.maybeMarkRead();
      }
    } else if (frame.kind === "conversation.read") {
      if (Number(data.conversation) !== this.conversation) {
        return;
      }
      if (Number(data.user) === this.me) {
        this.readSent = Math.max(this.readSent, Number(data.message) || 0);
      } else {
        const current = this.readState ? Number(this.readState.message) : 0;
        if (Number(data.message) >= current) {
          this.readState = { message: Number(data.message), at: data.at };
          this.renderSeen();
        }
      }
    }
  }

  async refetch() {
    try {
      const response = await fetch(this.config.urls.history, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      const body = await response.json();
      this.messages.clear();
      for (const message of body.messages) {
        this.messages.set(message.id, message);
      }
      for (const message of body.messages) {
        if (Number(message.sender) === this.me) {
          this.dropPending(message.client_id);
        }
      }
      this.hasMore = body.has_more;
      this.readState = body.read_state;
      this.config.newest = true;
      this.renderAll();
      this.setUpEarlier();
      this.scrollToBottom(true);
      this.maybeMarkRead();
    } catch {
      // The next resync or reload tries again.
    }
  }

  // --- Earlier messages --------------------------------------------------------------------

  setUpEarlier() {
    if (!this.earlier) {
      this.earlier = el("p", { class: "chat-earlier", "data-chat-earlier": true });
      this.log.before(this.earlier);
    }
    this.earlier.replaceChildren();
    this.earlier.hidden = !this.hasMore;
    if (!this.hasMore) {
      return;
    }
    const button = el("button", { type: "button", class: "button button-quiet" }, this.labels.loadEarlier);
    button.addEventListener("click", () => this.loadEarlier(button));
    this.earlier.append(button);
  }

  async loadEarlier(button) {
    const oldest = this.sortedMessages()[0];
    if (!oldest) {
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const url = new URL(this.config.urls.history, window.location.href);
    url.searchParams.set("before", String(oldest.id));
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      const body = await response.json();
      const previousHeight = this.log.scrollHeight;
      const anchor = this.log.querySelector(".message-row[data-row-id]");
      for (const message of body.messages) {
        if (!this.messages.has(message.id)) {
          this.messages.set(message.id, message);
          const row = this.renderRow(message);
          if (anchor) {
            anchor.before(row);
          } else {
            this.log.append(row);
          }
        }
      }
      this.log.scrollTop += this.log.scrollHeight - previousHeight;
      this.hasMore = body.has_more;
      this.setUpEarlier();
      const firstNew = this.log.querySelector(".message-row[data-row-id] article");
      if (firstNew && body.messages.length) {
        const target = this.log.querySelector(`#message-${body.messages[body.messages.length - 1].id} article`);
        if (target) {
          target.setAttribute("tabindex", "-1");
          target.focus({ preventScroll: true });
        }
      }
    } catch {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // --- Read state --------------------------------------------------------------------------

  maybeMarkRead() {
    if (document.visibilityState !== "visible" || !this.config.newest) {
      return;
    }
    const newest = this.sortedMessages()
      .filter((m) => Number(m.sender) !== this.me)
      .pop();
    if (!newest || newest.id <= this.readSent) {
      return;
    }
    const row = this.log.querySelector(`#message-${newest.id}`);
    if (!row || !this.isVisible(row)) {
      return;
    }
    const target = newest.id;
    this.readSent = target;
    this.command({ type: "conversation.read", conversation: this.conversation, message: target }).catch(
      () => {
        // Not sent: try again on the next chance (reconnect, focus, new message).
        if (this.readSent === target) {
          this.readSent = 0;
        }
      },
    );
  }

  isVisible(row) {
    const box = row.getBoundingClientRect();
    const logBox = this.log.getBoundingClientRect();
    const top = Math.max(box.top, logBox.top, 0);
    const bottom = Math.min(box.bottom, logBox.bottom, window.innerHeight);
    return bottom > top;
  }

  // --- Commands ----------------------------------------------------------------------------

  command(frame) {
    if (!window.loomStream) {
      return Promise.reject(new Error("offline"));
    }
    return window.loomStream.command(frame).then((reply) => {
      if (!reply.ok) {
        const error = new Error(reply.error ? reply.error.detail : "refused");
        error.code = reply.error ? reply.error.code : "refused";
        error.refused = true;
        throw error;
      }
      return reply.data || {};
    });
  }

  reason(error) {
    const byCode = {
      too_long: this.labels.tooLong,
      edit_window: this.labels.editWindow,
      deleted: this.labels.deletedReason,
      rate: this.labels.rate,
      read_only: this.labels.readOnly,
    };
    if (error && error.code && byCode[error.code]) {
      return byCode[error.code];
    }
    if (error && error.refused && error.message) {
      return error.message;
    }
    return error && error.refused ? this.labels.unknownReason : this.labels.network;
  }

  announce(text) {
    if (this.typingLine) {
      this.typingLine.textContent = text;
      clearTimeout(this.announceTimer);
      this.announceTimer = setTimeout(() => {
        if (this.typingLine.textContent === text) {
          this.typingLine.textContent = "";
        }
      }, 8000);
    }
  }

  react(messageId, emoji, on) {
    this.command({ type: "message.react", message: messageId, emoji, on })
      .then((data) => data.message && this.upsert(data.message))
      .catch((error) => this.announce(this.reason(error)));
  }

  // --- Sending -----------------------------------------------------------------------------

  loadPending() {
    try {
      const items = JSON.parse(window.localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(items) ? items.filter((item) => item && item.client_id) : [];
    } catch {
      return [];
    }
  }

  savePending() {
    try {
      const kept = this.pending.filter((item) => !item.failed);
      if (kept.length) {
        window.localStorage.setItem(this.storageKey, JSON.stringify(kept));
      } else {
        window.localStorage.removeItem(this.storageKey);
      }
    } catch {
      // Storage full or refused: the queue still lives for this page.
    }
  }

  dropPending(clientId) {
    const before = this.pending.length;
    this.pending = this.pending.filter((item) => item.client_id !== clientId);
    const attempt = this.attempts.get(clientId);
    if (attempt) {
      clearTimeout(attempt.timer);
      this.attempts.delete(clientId);
    }
    if (this.pending.length !== before) {
      this.savePending();
    }
  }

  renderPending(item) {
    const row = el("li", {
      class: "message-row is-own is-pending",
      "data-client-id": item.client_id,
    });
    const article = el("article", {
      class: "message",
      "data-client-id": item.client_id,
      "aria-label": fill(this.labels.messageFrom, { name: this.name(this.me), time: this.labels.sending }),
    });
    const body = el("div", { class: "message-body message-body-plain", dir: "auto" }, item.body);
    article.append(body);
    if (item.attachments && item.attachments.length) {
      const files = el("ul", { class: "message-attachments" });
      for (const file of item.attachments) {
        files.append(el("li", { dir: "auto" }, file.name));
      }
      article.append(files);
    }
    const status = el("p", { class: "message-status", "data-status": true, role: "status" });
    article.append(status);
    row.append(article);
    this.setPendingStatus(row, item);
    return row;
  }

  pendingRow(clientId) {
    return this.log.querySelector(`.message-row.is-pending[data-client-id="${CSS.escape(clientId)}"]`);
  }

  setPendingStatus(row, item) {
    const status = row.querySelector("[data-status]");
    status.replaceChildren();
    if (item.failed) {
      row.classList.add("is-failed");
      status.append(el("strong", {}, this.labels.notSent));
      if (item.reason) {
        status.append(`: ${item.reason}`);
      }
      const retry = el("button", { type: "button", class: "button button-small" }, this.labels.retry);
      retry.addEventListener("click", () => {
        item.failed = false;
        item.reason = "";
        this.attempts.delete(item.client_id);
        this.savePending();
        this.setPendingStatus(row, item);
        this.attempt(item);
      });
      status.append(" ", retry);
    } else {
      row.classList.remove("is-failed");
      status.textContent = this.labels.sending;
    }
  }

  queue(body) {
    const item = {
      client_id: uuid(),
      body,
      reply_to: this.replyTo ? this.replyTo.id : null,
      attachments: this.files.map((file) => ({ id: file.id, name: file.name })),
    };
    this.pending.push(item);
    this.savePending();
    this.log.querySelector("[data-chat-empty]")?.remove();
    this.log.append(this.renderPending(item));
    this.scrollToBottom(true);
    this.attempt(item);
  }

  flushPending() {
    for (const item of this.pending) {
      if (!item.failed) {
        if (!this.pendingRow(item.client_id)) {
          this.log.append(this.renderPending(item));
        }
        this.attempt(item);
      }
    }
  }

  attempt(item) {
    const state = this.attempts.get(item.client_id) || { tries: 0, inflight: false, timer: null };
    this.attempts.set(item.client_id, state);
    if (state.inflight || item.failed) {
      return;
    }
    const frame = {
      type: "message.send",
      conversation: this.conversation,
      client_id: item.client_id,
      body: item.body,
    };
    if (item.reply_to) {
      frame.reply_to = item.reply_to;
    }
    if (item.attachments && item.attachments.length) {
      frame.attachments = item.attachments.map((file) => file.id);
    }
    let sent;
    try {
      sent = window.loomStream ? window.loomStream.command(frame) : Promise.reject(new Error("offline"));
    } catch (error) {
      sent = Promise.reject(error);
    }
    state.inflight = true;
    state.tries += 1;
    const token = Symbol("attempt");
    state.token = token;
    state.timer = setTimeout(() => {
      if (state.token !== token) {
        return;
      }
      // No answer: send again with the same client_id (stored once on the server).
      state.inflight = false;
      if (state.tries >= TRIES) {
        this.fail(item, this.labels.network);
      } else {
        this.attempt(item);
      }
    }, REPLY_WITHIN);
    sent.then(
      (reply) => {
        if (state.token !== token) {
          return;
        }
        clearTimeout(state.timer);
        state.inflight = false;
        if (reply.ok) {
          const message = reply.data && reply.data.message;
          if (message) {
            this.upsert(message);
            this.observeNewest();
          } else {
            this.dropPending(item.client_id);
          }
        } else {
          const error = new Error(reply.error ? reply.error.detail : "");
          error.code = reply.error ? reply.error.code : "refused";
          error.refused = true;
          this.fail(item, this.reason(error));
        }
      },
      (error) => {
        if (state.token !== token) {
          return;
        }
        clearTimeout(state.timer);
        state.inflight = false;
        if (error && error.message === "offline") {
          // Never left the page: it is sent when the stream is back, not counted as a try.
          state.tries -= 1;
        }
        // Otherwise the socket dropped before the answer: the reconnect sends it again.
      },
    );
  }

  fail(item, reason) {
    item.failed = true;
    item.reason = reason;
    this.savePending();
    const row = this.pendingRow(item.client_id);
    if (row) {
      this.setPendingStatus(row, item);
    }
  }

  // --- The composer ------------------------------------------------------------------------

  setUpComposer() {
    if (!this.form || !this.textarea) {
      return;
    }
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener("input", () => this.typing());
    if (this.attachInput) {
      this.attachInput.addEventListener("change", () => {
        for (const file of Array.from(this.attachInput.files || [])) {
          this.upload(file);
        }
        this.attachInput.value = "";
      });
    }
  }

  submit() {
    const body = this.textarea.value.trim();
    if (this.uploading) {
      return;
    }
    if (!body && !this.files.length) {
      this.textarea.focus();
      return;
    }
    this.queue(body);
    this.textarea.value = "";
    this.cancelReply(false);
    this.files = [];
    this.renderFiles();
    this.textarea.focus();
  }

  typing() {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_EVERY || !this.textarea.value.trim()) {
      return;
    }
    this.lastTypingSent = now;
    this.command({ type: "typing", conversation: this.conversation }).catch(() => {});
  }

  onTyping(frame) {
    if (Number(frame.conversation) !== this.conversation || Number(frame.user) === this.me) {
      return;
    }
    const user = Number(frame.user);
    clearTimeout(this.typingTimers.get(user));
    this.typingLine.textContent = fill(this.labels.typing, { name: this.name(user) });
    const seconds = Number(frame.expires_in) || 6;
    this.typingTimers.set(user, setTimeout(() => this.clearTyping(user), seconds * 1000));
  }

  clearTyping(user) {
    clearTimeout(this.typingTimers.get(user));
    this.typingTimers.delete(user);
    const text = fill(this.labels.typing, { name: this.name(user) });
    if (this.typingLine.textContent === text) {
      this.typingLine.textContent = "";
    }
  }

  startReply(message) {
    this.replyTo = { id: message.id, sender: message.sender, excerpt: (message.body || "").slice(0, 120) };
    this.replyBar.replaceChildren();
    const quote = el("p", { class: "composer-reply-text" });
    quote.append(
      el("strong", { dir: "auto" }, fill(this.labels.replyingTo, { name: this.name(message.sender) })),
      " ",
      el("span", { dir: "auto" }, this.replyTo.excerpt),
    );
    const cancel = el("button", { type: "button", class: "button button-quiet button-small" }, this.labels.cancelReply);
    cancel.addEventListener("click", () => this.cancelReply(true));
    this.replyBar.append(quote, cancel);
    this.replyBar.hidden = false;
    const field = this.form.querySelector("input[name=reply_to]");
    if (field) {
      field.value = String(message.id);
    }
    this.textarea.focus();
  }

  cancelReply(refocus) {
    this.replyTo = null;
    if (this.replyBar) {
      this.replyBar.replaceChildren();
      this.replyBar.hidden = true;
    }
    const field = this.form ? this.form.querySelector("input[name=reply_to]") : null;
    if (field) {
      field.value = "";
    }
    if (refocus && this.textarea) {
      this.textarea.focus();
    }
  }

  // --- Files -------------------------------------------------------------------------------

  renderFiles() {
    if (!this.filesList) {
      return;
    }
    this.filesList.hidden = !this.files.length && !this.filesList.querySelector(".is-uploading, .is-failed");
    for (const item of this.filesList.querySelectorAll("[data-file-done]")) {
      item.remove();
    }
    for (const file of this.files) {
      const item = el("li", { class: "composer-file", "data-file-done": true });
      item.append(el("span", { dir: "auto" }, file.name));
      const remove = el("button", {
        type: "button",
        class: "button button-quiet button-small",
        "aria-label": fill(this.labels.remove, { name: file.name }),
      }, "×");
      remove.addEventListener("click", () => {
        this.files = this.files.filter((f) => f.id !== file.id);
        this.renderFiles();
        this.textarea.focus();
      });
      item.append(" ", remove);
      this.filesList.append(item);
    }
    this.filesList.hidden = !this.filesList.children.length;
  }

  upload(file) {
    const item = el("li", { class: "composer-file is-uploading" });
    const id = `upload-${uuid()}`;
    const label = el("label", { for: id, dir: "auto" }, fill(this.labels.uploading, { name: file.name }));
    const bar = el("progress", { id, max: "100", value: "0" });
    item.append(label, bar);
    this.filesList.append(item);
    this.filesList.hidden = false;
    this.uploading += 1;
    const finish = () => {
      this.uploading -= 1;
    };
    const refuse = (reason) => {
      item.classList.remove("is-uploading");
      item.classList.add("is-failed");
      item.replaceChildren(el("span", { role: "alert" }, fill(this.labels.notAttached, { name: file.name, reason })));
      const dismiss = el("button", { type: "button", class: "button button-quiet button-small", "aria-label": fill(this.labels.remove, { name: file.name }) }, "×");
      dismiss.addEventListener("click", () => {
        item.remove();
        this.renderFiles();
      });
      item.append(" ", dismiss);
    };
    if (file.size > this.config.maxBytes) {
      finish();
      refuse(this.labels.tooLarge || fileSize(this.config.maxBytes));
      return;
    }
    const data = new FormData();
    data.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", this.config.urls.upload);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("load", () => {
      finish();
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = {};
      }
      if (xhr.status === 201) {
        item.remove();
        this.files.push(body);
        this.renderFiles();
      } else {
        refuse(body.detail || body.title || this.labels.unknownReason);
      }
    });
    for (const kind of ["error", "abort", "timeout"]) {
      xhr.addEventListener(kind, () => {
        finish();
        refuse(this.labels.network);
      });
    }
    xhr.send(data);
  }

  // --- Edit and delete ---------------------------------------------------------------------

  startEdit(messageId) {
    const message = this.messages.get(messageId);
    const row = this.log.querySelector(`#message-${messageId}`);
    if (!message || !row) {
      return;
    }
    const body = row.querySelector(".message-body");
    const actions = row.querySelector(".message-actions");
    const id = `edit-${messageId}`;
    const form = el("form", { class: "message-edit stack stack-sm", novalidate: true });
    const label = el("label", { for: id, class: "field-label" }, this.labels.editMessage);
    const area = el("textarea", { id, rows: "3", dir: "auto", class: "input" });
    area.value = message.body;
    const error = el("p", { class: "field-error", role: "alert" });
    const buttons = el("div", { class: "cluster" });
    const save = el("button", { type: "submit", class: "button button-primary button-small" }, this.labels.save);
    const cancel = el("button", { type: "button", class: "button button-small" }, this.labels.cancel);
    buttons.append(save, cancel);
    form.append(label, area, error, buttons);
    body.hidden = true;
    actions.hidden = true;
    body.after(form);
    area.focus();
    const close = () => {
      form.remove();
      body.hidden = false;
      actions.hidden = false;
      row.querySelector('[data-action="edit"]')?.focus();
    };
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text) {
        area.focus();
        return;
      }
      save.disabled = true;
      this.command({ type: "message.edit", message: messageId, body: text })
        .then((data) => {
          if (data.message) {
            this.upsert(data.message);
          } else {
            close();
          }
          this.log.querySelector(`#message-${messageId} [data-action="edit"]`)?.focus();
        })
        .catch((failure) => {
          save.disabled = false;
          error.textContent = this.reason(failure);
          area.focus();
        });
    });
  }

  setUpDeleteDialog() {
    if (!this.deleteDialog) {
      return;
    }
    const confirm = this.deleteDialog.querySelector("[data-chat-delete-confirm]");
    const cancel = this.deleteDialog.querySelector("[data-chat-delete-cancel]");
    cancel.addEventListener("click", () => this.deleteDialog.close());
    confirm.addEventListener("click", () => {
      const messageId = this.deleting;
      this.deleteDialog.close();
      if (!messageId) {
        return;
      }
      this.command({ type: "message.delete", message: messageId })
        .then((data) => data.message && this.upsert(data.message))
        .catch((error) => this.announce(this.reason(error)));
    });
    this.deleteDialog.addEventListener("close", () => {
      if (this.deleteOpener && this.deleteOpener.isConnected) {
        this.deleteOpener.focus();
      } else {
        const article = this.log.querySelector(`#message-${this.deleting} article`);
        if (article) {
          article.setAttribute("tabindex", "-1");
          article.focus();
        }
      }
    });
  }

  confirmDelete(messageId, opener) {
    this.deleting = messageId;
    this.deleteOpener = opener;
    if (this.deleteDialog && typeof this.deleteDialog.showModal === "function") {
      this.deleteDialog.showModal();
    } else if (window.confirm(this.labels.delete)) {
      this.command({ type: "message.delete", message: messageId })
        .then((data) => data.message && this.upsert(data.message))
        .catch((error) => this.announce(this.reason(error)));
    }
  }
}

if (root && configElement) {
  const chat = new Chat(root, JSON.parse(configElement.textContent));
  chat.start();
}
