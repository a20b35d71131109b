// Modal dialogs on the native <dialog> element (WAI-ARIA dialog pattern):
// opened by [data-dialog-open="id"], closed by [data-dialog-close], Escape or a click
// on the backdrop; Tab stays inside; focus returns to the opener.
import { focusableIn, within, once } from "./dom.js";

const openers = new WeakMap();

export function openDialog(dialog, opener) {
  if (!(dialog instanceof HTMLDialogElement) || dialog.open) {
    return;
  }
  openers.set(dialog, opener || document.activeElement);
  dialog.showModal();
  const preferred = dialog.querySelector("[autofocus]") || focusableIn(dialog)[0];
  if (preferred) {
    preferred.focus();
  }
}

function setUp(dialog) {
  dialog.addEventListener("close", () => {
    const opener = openers.get(dialog);
    openers.delete(dialog);
    if (opener && opener.isConnected && typeof opener.focus === "function") {
      opener.focus();
    }
  });
  dialog.addEventListener("click", (event) => {
    // A click whose target is the dialog itself landed on the backdrop.
    if (event.target !== dialog) {
      return;
    }
    const box = dialog.getBoundingClientRect();
    const inside =
      event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) {
      dialog.close();
    }
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") {
      return;
    }
    const items = focusableIn(dialog);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}

let delegated = false;

export function init(root) {
  for (const dialog of within(root, "dialog[data-dialog]")) {
    once(dialog, "Dialog", setUp);
  }
  for (const opener of within(root, "[data-dialog-open]")) {
    opener.setAttribute("aria-haspopup", "dialog");
    opener.setAttribute("aria-controls", opener.dataset.dialogOpen);
  }
  if (delegated) {
    return;
  }
  delegated = true;
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const opener = target && target.closest("[data-dialog-open]");
    if (opener) {
      event.preventDefault();
      openDialog(document.getElementById(opener.dataset.dialogOpen), opener);
      return;
    }
    const closer = target && target.closest("[data-dialog-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) {
        event.preventDefault();
        dialog.close();
      }
    }
  });
}
