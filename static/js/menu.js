// Dropdown menus (WAI-ARIA menu button pattern). The button toggles the menu;
// ArrowDown/ArrowUp/Home/End move between items, a letter jumps to the next item
// starting with it, Escape closes and returns focus to the button, Tab closes.
import { within, once } from "./dom.js";

function items(menu) {
  return Array.from(menu.querySelectorAll("[role='menuitem']"));
}

function setUp(container) {
  const button = container.querySelector(".menu-button");
  const list = container.querySelector("[role='menu']");
  if (!button || !list) {
    return;
  }
  container.dataset.menuReady = "1";
  for (const item of items(list)) {
    item.tabIndex = -1;
  }

  const isOpen = () => container.hasAttribute("data-open");
  const open = (focus = "first") => {
    container.setAttribute("data-open", "");
    button.setAttribute("aria-expanded", "true");
    const all = items(list);
    const target = focus === "last" ? all[all.length - 1] : all[0];
    if (target) {
      target.focus();
    }
  };
  const close = (returnFocus = true) => {
    if (!isOpen()) {
      return;
    }
    container.removeAttribute("data-open");
    button.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      button.focus();
    }
  };

  button.addEventListener("click", () => (isOpen() ? close() : open()));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      open("first");
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      open("last");
    } else if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      close();
    }
  });

  list.addEventListener("keydown", (event) => {
    const all = items(list);
    const index = all.indexOf(document.activeElement);
    let next = null;
    switch (event.key) {
      case "ArrowDown":
        next = all[(index + 1) % all.length];
        break;
      case "ArrowUp":
        next = all[(index - 1 + all.length) % all.length];
        break;
      case "Home":
        next = all[0];
        break;
      case "End":
        next = all[all.length - 1];
        break;
      case "Escape":
        // Handled here: the collapsed site navigation around it must stay open.
        event.preventDefault();
        close();
        return;
      case "Tab":
        close(false);
        return;
      case " ":
        // Space activates links too, as it does for buttons.
        if (document.activeElement instanceof HTMLAnchorElement) {
          event.preventDefault();
          document.activeElement.click();
        }
        return;
      default:
        if (event.key.length === 1 && /\S/u.test(event.key)) {
          const letter = event.key.toLocaleLowerCase();
          const ordered = all.slice(index + 1).concat(all.slice(0, index + 1));
          next = ordered.find((item) => item.textContent.trim().toLocaleLowerCase().startsWith(letter)) || null;
        }
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  document.addEventListener("click", (event) => {
    if (isOpen() && !container.contains(event.target)) {
      close(false);
    }
  });
  container.addEventListener("focusout", (event) => {
    if (isOpen() && event.relatedTarget && !container.contains(event.relatedTarget)) {
      close(false);
    }
  });
}

export function init(root) {
  for (const container of within(root, "[data-menu]")) {
    once(container, "Menu", setUp);
  }
}
