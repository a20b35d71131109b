// Time-zone fields (loom.accounts.timezones.TimeZoneInput): an empty field is filled with
// the browser's own zone, and a "use this device's time zone" button sets it on request.
// Without JavaScript the field still works: people type or pick a zone from the list.
const deviceZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
})();

function init(root) {
  for (const input of root.querySelectorAll("input[data-timezone-default]")) {
    if (!input.value && deviceZone) {
      input.value = deviceZone;
    }
  }
  for (const button of root.querySelectorAll("[data-timezone-detect]")) {
    const input = document.getElementById(button.dataset.timezoneDetect);
    if (!input || !deviceZone) {
      continue;
    }
    const label = button.querySelector("[data-timezone-name]");
    if (label) {
      label.textContent = deviceZone;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      input.value = deviceZone;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });
  }
}

init(document);
