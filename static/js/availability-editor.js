// The week editor of /coach/scheduling/availability/ (progressive enhancement).
//
// Without JavaScript the form has a few empty rows per day, "Copy Monday to weekdays"
// is a submit button the server answers, and clearing a row's times removes it. With
// it: "Add a range" and "Remove" buttons per day and row, the copy happens in the page
// (nothing is saved until "Save weekly hours"), and choosing "Unavailable all day" for
// a date change clears its times. Rows pair up on the server by position, so only ids
// and labels are renumbered here.
import { showToast } from "./toast.js";
import { once } from "./dom.js";

const WEEKDAYS_AFTER_MONDAY = ["1", "2", "3", "4"];

function rowsOf(day) {
  return [...day.querySelectorAll("[data-range-row]")];
}

function renumber(day) {
  const template = day.dataset.rangeLabel || "";
  const key = `day${day.dataset.day}`;
  rowsOf(day).forEach((row, index) => {
    const number = String(index + 1);
    const name = template.replace("__N__", number);
    for (const [part, input] of [
      ["start", row.querySelector("input[name$='-start']")],
      ["end", row.querySelector("input[name$='-end']")],
    ]) {
      if (!input) {
        continue;
      }
      const id = `${key}-${part}-${number}`;
      const label = input.closest(".range-field")?.querySelector("label");
      input.id = id;
      label?.setAttribute("for", id);
    }
    for (const span of row.querySelectorAll("[data-range-name]")) {
      span.textContent = span.closest("button") ? ` ${name}` : `${name}: `;
    }
  });
}

function blankRow(day) {
  const row = rowsOf(day)[0].cloneNode(true);
  row.classList.remove("is-invalid");
  row.querySelector(".range-error")?.remove();
  for (const input of row.querySelectorAll("input")) {
    input.value = "";
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  return row;
}

function addRow(day, values) {
  const row = blankRow(day);
  if (values) {
    row.querySelector("input[name$='-start']").value = values[0];
    row.querySelector("input[name$='-end']").value = values[1];
  }
  day.querySelector("[data-range-list]").append(row);
  renumber(day);
  return row;
}

function removeRow(day, row) {
  const rows = rowsOf(day);
  const index = rows.indexOf(row);
  if (rows.length === 1) {
    // A day keeps one (empty) row to type into.
    for (const input of row.querySelectorAll("input")) {
      input.value = "";
    }
    row.querySelector("input")?.focus();
    return;
  }
  row.remove();
  renumber(day);
  const next = rowsOf(day)[Math.min(index, rows.length - 2)];
  next?.querySelector("input")?.focus();
}

function copyMonday(form) {
  const days = new Map([...form.querySelectorAll("[data-day]")].map((d) => [d.dataset.day, d]));
  const monday = days.get("0");
  const values = rowsOf(monday)
    .map((row) => [
      row.querySelector("input[name$='-start']").value,
      row.querySelector("input[name$='-end']").value,
    ])
    .filter(([start, end]) => start || end);
  for (const key of WEEKDAYS_AFTER_MONDAY) {
    const day = days.get(key);
    if (!day) {
      continue;
    }
    const keep = rowsOf(day);
    for (const pair of values) {
      addRow(day, pair);
    }
    if (values.length === 0) {
      addRow(day);
    }
    for (const row of keep) {
      row.remove();
    }
    day.classList.remove("is-invalid");
    day.querySelector(":scope > .field-errors")?.remove();
    renumber(day);
  }
}

function initWeek(form) {
  for (const hint of form.querySelectorAll("[data-no-js-hint]")) {
    hint.hidden = true;
  }
  for (const button of form.querySelectorAll("[data-add-range], [data-remove-range]")) {
    button.hidden = false;
  }
  form.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const add = target?.closest("[data-add-range]");
    const remove = target?.closest("[data-remove-range]");
    const copy = target?.closest("[data-copy-monday]");
    if (add) {
      const row = addRow(add.closest("[data-day]"));
      row.querySelector("input")?.focus();
    } else if (remove) {
      removeRow(remove.closest("[data-day]"), remove.closest("[data-range-row]"));
    } else if (copy) {
      event.preventDefault();
      copyMonday(form);
      showToast(copy.dataset.copied || "", "info");
    }
  });
}

function initOverride(form) {
  const times = form.querySelector("[data-override-times]");
  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "radio" && input.value === "unavailable_day" && input.checked) {
      for (const time of times?.querySelectorAll("input") || []) {
        time.value = "";
      }
    }
  });
}

// The preview's type travels with every form of the page, so saving keeps showing the
// type chosen last (also when it was chosen through htmx without a page load).
function initPreviewChoice(select) {
  select.addEventListener("change", () => {
    for (const hidden of document.querySelectorAll("input[type='hidden'][name='preview_type']")) {
      hidden.value = select.value;
    }
  });
}

export function init(root) {
  for (const select of root.querySelectorAll("[data-preview-choice]")) {
    once(select, "previewChoice", () => initPreviewChoice(select));
  }
  for (const form of root.querySelectorAll("[data-availability-editor]")) {
    once(form, "availabilityEditor", () => initWeek(form));
  }
  for (const form of root.querySelectorAll("[data-override-form]")) {
    once(form, "overrideForm", () => initOverride(form));
  }
}

init(document);
