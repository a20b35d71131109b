// The site navigation and tools collapse behind a disclosure button on small screens
// (WAI-ARIA disclosure pattern: aria-expanded on the button, Escape closes).
import { within, once } from "./dom.js";

function setUp(header) {
  const toggle = header.querySelector("[data-nav-toggle]");
  const panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!panel) {
    return;
  }
  header.dataset.navReady = "1";
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    panel.toggleAttribute("data-open", open);
  };
  setOpen(false);
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  panel.addEventListener("keydown", (event) => {
    const collapsible = getComputedStyle(toggle).display !== "none";
    if (event.key === "Escape" && !event.defaultPrevented && collapsible && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
}

export function init(root) {
  for (const header of within(root, ".site-header")) {
    once(header, "Nav", setUp);
  }
}
