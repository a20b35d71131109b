// The body map: the figure's zones become clickable and mirror the checkbox list.
// The checkboxes stay the control for keyboards and screen readers (the figure is
// aria-hidden); a click on a zone toggles its checkbox, a change of a checkbox marks the
// zone, and hovering or focusing a checkbox hints its zone on the figure.
function setUp(fieldset) {
  const zones = new Map();
  for (const zone of fieldset.querySelectorAll(".body-zone[data-zone]")) {
    zones.set(zone.dataset.zone, zone);
  }
  const inputs = new Map();
  for (const input of fieldset.querySelectorAll("input[data-zone-input]")) {
    inputs.set(input.dataset.zoneInput, input);
  }
  if (zones.size === 0 || inputs.size === 0) {
    return;
  }
  fieldset.setAttribute("data-body-map-live", "");

  const mark = (key) => {
    const zone = zones.get(key);
    const input = inputs.get(key);
    if (zone && input) {
      zone.classList.toggle("is-selected", input.checked);
    }
  };
  const hint = (key, on) => {
    const zone = zones.get(key);
    if (zone) {
      zone.classList.toggle("is-hinted", on);
    }
  };

  for (const [key, zone] of zones) {
    zone.addEventListener("click", () => {
      const input = inputs.get(key);
      if (!input) {
        return;
      }
      input.checked = !input.checked;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
  for (const [key, input] of inputs) {
    input.addEventListener("change", () => mark(key));
    input.addEventListener("focus", () => hint(key, true));
    input.addEventListener("blur", () => hint(key, false));
    const label = input.labels && input.labels[0];
    const row = input.closest(".choice") || label;
    if (row) {
      row.addEventListener("mouseenter", () => hint(key, true));
      row.addEventListener("mouseleave", () => hint(key, false));
    }
    mark(key);
  }
}

for (const fieldset of document.querySelectorAll("[data-body-map]")) {
  setUp(fieldset);
}
