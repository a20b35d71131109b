// The share form's client list: a filter box that hides the clients whose name does not
// contain what was typed. Without JavaScript the box stays hidden and the whole list shows.
function setUp(container) {
  const box = container.querySelector("[data-client-filter-box]");
  const input = container.querySelector("[data-client-filter-input]");
  const status = container.querySelector("[data-client-filter-status]");
  const choices = Array.from(container.querySelectorAll(".choice"));
  if (!box || !input || choices.length === 0) {
    return;
  }
  box.hidden = false;
  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLocaleLowerCase();
    let shown = 0;
    for (const choice of choices) {
      const matches = !wanted || choice.textContent.toLocaleLowerCase().includes(wanted);
      choice.hidden = !matches;
      shown += matches ? 1 : 0;
    }
    status.textContent = shown === 0 ? status.dataset.none : "";
  });
}

for (const container of document.querySelectorAll("[data-client-filter]")) {
  setUp(container);
}
