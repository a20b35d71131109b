// Moves focus to the crisis support panel when a page shows it, so keyboard and
// screen reader users meet it first. The panel works without this script.
const panel = document.getElementById("crisis-panel");
if (panel) {
  panel.focus({ preventScroll: false });
  panel.scrollIntoView({ block: "start" });
}
