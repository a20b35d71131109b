// Goals: "Add another milestone" on the goal forms, and a replay of the celebration
// when its message scrolls into view. The pages work without this file.

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
  // Focus is left where it is: role="status" announces the message on its own.
  box.scrollIntoView({ block: "nearest" });
};

document.querySelectorAll("[data-goal-milestones]").forEach(addMilestones);
document.querySelectorAll("[data-goal-celebration]").forEach(celebrate);
