// The NPS survey panel (analytics/nps/_survey.html). The panel is two plain POST forms
// that work without this script; with htmx they swap the panel in place. This module
// only fixes what htmx leaves undone:
// - htmx does not swap 4xx answers; the survey's 400 carries the panel again with its
//   errors, so it is swapped in like a success;
// - the button that was pressed disappears with the swap, so focus moves to what
//   replaced it (the thank-you message, or the first field with an error).
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (target instanceof Element && target.matches("[data-nps-panel]") && event.detail.xhr.status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:load", (event) => {
  const element = event.detail && event.detail.elt;
  if (!(element instanceof HTMLElement)) {
    return;
  }
  if (element.matches("[data-nps-thanks]")) {
    element.focus();
    return;
  }
  if (element.matches("[data-nps-panel]")) {
    const invalid = element.querySelector("#nps-error, .is-invalid input, .is-invalid textarea");
    if (invalid instanceof HTMLElement) {
      if (invalid.id === "nps-error") {
        invalid.setAttribute("tabindex", "-1");
      }
      invalid.focus();
    }
  }
});
