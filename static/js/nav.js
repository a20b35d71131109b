// The site navigation collapses behind a disclosure button on small screens
// (WAI-ARIA disclosure pattern: aria-expanded on the button, Escape closes).
import { within, once } from "./dom.js";

function setUp(header) {
  const toggle = header.querySelector("[data-nav-toggle]");
  const nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!nav) {
    return;
  }
  header.dataset.navReady = "1";
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    nav.toggleAttribute("data-open", open);
  };
  setOpen(false);
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true" && getComputedStyle(toggle).display !== "none") {
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
