// Small helpers shared by the component modules.

/** Elements matching selector in root, including root itself. */
export function within(root, selector) {
  const found = Array.from(root.querySelectorAll ? root.querySelectorAll(selector) : []);
  if (root instanceof Element && root.matches(selector)) {
    found.unshift(root);
  }
  return found;
}

/** Run setup once per element, remembered with a data attribute. */
export function once(element, name, setup) {
  const key = `loom${name}`;
  if (element.dataset[key]) {
    return;
  }
  element.dataset[key] = "1";
  setup(element);
}

export function isRtl(element) {
  return getComputedStyle(element).direction === "rtl";
}

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type='hidden'])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

export function focusableIn(container) {
  return Array.from(container.querySelectorAll(FOCUSABLE)).filter(
    (element) => !element.closest("[hidden]") && element.getClientRects().length > 0,
  );
}
