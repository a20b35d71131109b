// Loom's front-end entry point: small progressive enhancements on server-rendered pages.
// Each module exports init(root) and marks what it has enhanced, so running it again on
// content swapped in by htmx is safe.
import * as dialog from "./dialog.js";
import * as menu from "./menu.js";
import * as nav from "./nav.js";
import * as tabs from "./tabs.js";
import * as toast from "./toast.js";
import * as tooltip from "./tooltip.js";

const modules = [dialog, menu, nav, tabs, toast, tooltip];

function enhance(root) {
  for (const module of modules) {
    try {
      module.init(root);
    } catch (error) {
      // One broken widget must not stop the others from working.
      console.error(error);
    }
  }
}

document.documentElement.classList.add("js");
enhance(document);
document.addEventListener("htmx:load", (event) => {
  if (event.target instanceof Element && event.target !== document.body) {
    enhance(event.target);
  }
});
