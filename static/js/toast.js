// Toasts in the live region of base.html (#toasts). Success and info toasts hide after
// a while; the timer pauses while the pointer is over a toast or focus is inside it.
// Warnings and errors stay until dismissed. Other code shows toasts with showToast(),
// or from the server with an htmx HX-Trigger header: {"loom:toast": {"message": "…", "tone": "success"}}.
import { within, once } from "./dom.js";

const HIDE_AFTER_MS = 6000;
const STICKY = new Set(["error", "warning"]);
const SVG_NS = "http://www.w3.org/2000/svg";
const ICON_PATHS = {
  success: ["M5 12l5 5 9-10"],
  info: ["M12 11v6M12 7.5v.5", "circle"],
  warning: ["M12 4l9 16H3z", "M12 10v4M12 17v.5"],
  error: ["M12 4l9 16H3z", "M12 10v4M12 17v.5"],
  close: ["M6 6l12 12M18 6L6 18"],
};

function icon(name, label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("focusable", "false");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  for (const d of ICON_PATHS[name] || ICON_PATHS.info) {
    if (d === "circle") {
      const circle = document.createElementNS(SVG_NS, "circle");
      circle.setAttribute("cx", "12");
      circle.setAttribute("cy", "12");
      circle.setAttribute("r", "9");
      svg.append(circle);
    } else {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
  }
  return svg;
}

function dismiss(toast) {
  if (toast.dataset.leaving) {
    return;
  }
  toast.dataset.leaving = "1";
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  setTimeout(() => toast.remove(), reduced ? 0 : 200);
}

function arm(toast) {
  toast.querySelector("[data-toast-close]")?.addEventListener("click", () => dismiss(toast));
  if (STICKY.has(toast.dataset.tone) || "toastStatic" in toast.dataset) {
    return;
  }
  let remaining = HIDE_AFTER_MS;
  let started = 0;
  let timer = null;
  let hovered = false;
  let focused = false;
  const start = () => {
    if (timer || hovered || focused) {
      return;
    }
    started = Date.now();
    timer = setTimeout(() => dismiss(toast), remaining);
  };
  const pause = () => {
    if (!timer) {
      return;
    }
    clearTimeout(timer);
    timer = null;
    remaining = Math.max(1000, remaining - (Date.now() - started));
  };
  toast.addEventListener("mouseenter", () => {
    hovered = true;
    pause();
  });
  toast.addEventListener("mouseleave", () => {
    hovered = false;
    start();
  });
  toast.addEventListener("focusin", () => {
    focused = true;
    pause();
  });
  toast.addEventListener("focusout", (event) => {
    if (!toast.contains(event.relatedTarget)) {
      focused = false;
      start();
    }
  });
  start();
}

function region() {
  return document.getElementById("toasts");
}

/** Show a toast. tone: "success" | "info" | "warning" | "error". */
export function showToast(message, tone = "info") {
  const host = region();
  if (!host) {
    return null;
  }
  const toast = document.createElement("div");
  toast.className = `toast toast-${tone}`;
  toast.dataset.toast = "";
  toast.dataset.tone = tone;
  if (STICKY.has(tone)) {
    toast.setAttribute("role", "alert");
  }
  const iconBox = document.createElement("span");
  iconBox.className = "toast-icon";
  iconBox.append(icon(tone));
  const text = document.createElement("p");
  text.className = "toast-message";
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close button-icon";
  close.dataset.toastClose = "";
  close.append(icon("close", host.dataset.dismissLabel || "Dismiss"));
  toast.append(iconBox, text, close);
  host.append(toast);
  once(toast, "Toast", arm);
  return toast;
}

let listening = false;

export function init(root) {
  const host = region();
  if (host && !host.dataset.loomToastRegion) {
    host.dataset.loomToastRegion = "1";
    // Content already in a live region when the page loads is not announced; put the
    // server's messages back in after a moment so screen readers read them.
    const initial = Array.from(host.querySelectorAll("[data-toast]"));
    if (initial.length) {
      for (const toast of initial) {
        toast.remove();
      }
      setTimeout(() => {
        for (const toast of initial) {
          host.append(toast);
          once(toast, "Toast", arm);
        }
      }, 250);
    }
  }
  for (const toast of within(root, "[data-toast]")) {
    if (toast.isConnected) {
      once(toast, "Toast", arm);
    }
  }
  if (!listening) {
    listening = true;
    document.body.addEventListener("loom:toast", (event) => {
      const detail = event.detail || {};
      if (detail.message) {
        showToast(String(detail.message), detail.tone || "info");
      }
    });
  }
}
