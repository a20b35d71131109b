// Goals: "Add another milestone" on the goal forms, and the celebration message made
// audible and scrolled into view. The pages work without this file.

const addMilestones = (fieldset) => {
  const button = fieldset.querySelector("[data-goal-add-milestone]");
  if (!button) return;
  const max = Number(fieldset.dataset.max || "20");
  const label = fieldset.dataset.label || "Milestone";
  const rows = () => fieldset.querySelectorAll("[data-goal-milestone]");
  const update = () => {
    button.hidden = rows().length >= max;
  };
  button.addEventListener("click", () => {
    const all = rows();
    const last = all[all.length - 1];
    const number = all.length + 1;
    const row = last.cloneNode(true);
    const input = row.querySelector("input");
    const rowLabel = row.querySelector("label");
    input.id = `goal-milestone-${number}`;
    input.value = "";
    rowLabel.htmlFor = input.id;
    rowLabel.textContent = `${label} ${number}`;
    last.after(row);
    input.focus();
    update();
  });
  update();
};

const celebrate = (box) => {
  // A live region that already holds its text when the page loads is not announced
  // by every screen reader: empty it and put the words back once the page is ready.
  // Focus stays where it is.
  const text = box.querySelector(".goal-celebration-text");
  if (text) {
    const words = text.textContent;
    text.textContent = "";
    window.setTimeout(() => {
      text.textContent = words;
    }, 150);
  }
  box.scrollIntoView({ block: "nearest" });
};

document.querySelectorAll("[data-goal-milestones]").forEach(addMilestones);
document.querySelectorAll("[data-goal-celebration]").forEach(celebrate);
