// Tooltips (WAI-ARIA tooltip pattern). The stylesheet shows a tooltip while its trigger
// is hovered or focused; this module adds Escape to dismiss it (WCAG 1.4.13) until the
// pointer leaves or focus moves away.
import { within, once } from "./dom.js";

function setUp(wrap) {
  const reset = () => wrap.removeAttribute("data-dismissed");
  wrap.addEventListener("mouseleave", reset);
  wrap.addEventListener("focusout", (event) => {
    if (!wrap.contains(event.relatedTarget)) {
      reset();
    }
  });
}

let listening = false;

export function init(root) {
  for (const wrap of within(root, "[data-tooltip]")) {
    once(wrap, "Tooltip", setUp);
  }
  if (listening) {
    return;
  }
  listening = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") {
      return;
    }
    for (const wrap of document.querySelectorAll("[data-tooltip]")) {
      if (wrap.matches(":hover, :focus-within") && !wrap.hasAttribute("data-dismissed")) {
        wrap.setAttribute("data-dismissed", "");
      }
    }
  });
}
