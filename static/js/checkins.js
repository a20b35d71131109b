// Check-in form enhancements. Without this script the form is two number inputs and a
// list of checkboxes with intensity inputs, and it works as it is. With it:
//  - the mood meter's 10 × 10 grid appears: a focusable slider (arrows move the point,
//    mirrored in RTL; a click or tap picks a square) that keeps the two inputs in step
//    and says where it is through aria-valuetext ("Pleasant 7, energy 4");
//  - the emotions of the quadrant the point is in move to the top;
//  - an intensity input is shown only for an emotion that is checked.
import { isRtl } from "./dom.js";

const MIN = 1;
const MAX = 10;

function clamp(value) {
  return Math.min(MAX, Math.max(MIN, value));
}

function asNumber(input) {
  const value = Number.parseInt(input.value, 10);
  return Number.isInteger(value) && value >= MIN && value <= MAX ? value : null;
}

function quadrantOf(pleasantness, energy) {
  if (pleasantness === null || energy === null) {
    return null;
  }
  return `${energy >= 6 ? "high" : "low"}-${pleasantness >= 6 ? "pleasant" : "unpleasant"}`;
}

function setUpMeter(form, meter) {
  const board = meter.querySelector("[data-meter-board]");
  const grid = meter.querySelector("[data-meter-grid]");
  const readout = meter.querySelector("[data-meter-readout]");
  const pInput = form.querySelector('[data-meter="pleasantness"]');
  const eInput = form.querySelector('[data-meter="energy"]');
  if (!board || !grid || !pInput || !eInput) {
    return;
  }
  // "Pleasant {p}, energy {e}" in the page's language (the server fills in the words).
  const template = meter.dataset.valuetext || "Pleasant {p}, energy {e}";
  const cells = Array.from(grid.querySelectorAll("[data-p]"));
  const groups = form.querySelector("[data-emotion-groups]");
  const quadrantNames = new Map(
    Array.from(meter.querySelectorAll(".mood-q")).map((node) => [
      Array.from(node.classList).find((name) => name.startsWith("mood-q-")).slice(7),
      node.textContent.trim(),
    ]),
  );

  function render() {
    const p = asNumber(pInput);
    const e = asNumber(eInput);
    for (const cell of cells) {
      cell.classList.toggle(
        "is-selected",
        Number(cell.dataset.p) === p && Number(cell.dataset.e) === e,
      );
    }
    if (p === null || e === null) {
      // A slider must have a value; the text says nothing is chosen yet.
      grid.setAttribute("aria-valuenow", "5");
      grid.setAttribute("aria-valuetext", meter.dataset.unset || "");
      readout.textContent = "";
      return;
    }
    const text = template.replace("{p}", String(p)).replace("{e}", String(e));
    grid.setAttribute("aria-valuenow", String(p));
    grid.setAttribute("aria-valuetext", text);
    const quadrant = quadrantOf(p, e);
    readout.textContent = `${text} · ${quadrantNames.get(quadrant) || ""}`;
    if (groups) {
      const first = groups.querySelector(`[data-quadrant="${quadrant}"]`);
      if (first && groups.firstElementChild !== first) {
        groups.prepend(first);
      }
    }
  }

  function set(p, e) {
    pInput.value = String(clamp(p));
    eInput.value = String(clamp(e));
    render();
  }

  grid.addEventListener("keydown", (event) => {
    const p = asNumber(pInput) ?? 5;
    const e = asNumber(eInput) ?? 5;
    // In right-to-left pages "more pleasant" lies to the left.
    const across = isRtl(grid) ? -1 : 1;
    const moves = {
      ArrowRight: [across, 0],
      ArrowLeft: [-across, 0],
      ArrowUp: [0, 1],
      ArrowDown: [0, -1],
      PageUp: [0, 3],
      PageDown: [0, -3],
    };
    if (event.key in moves) {
      const [dp, de] = moves[event.key];
      set(asNumber(pInput) === null ? p : p + dp, asNumber(eInput) === null ? e : e + de);
    } else if (event.key === "Home") {
      set(MIN, e);
    } else if (event.key === "End") {
      set(MAX, e);
    } else {
      return;
    }
    event.preventDefault();
  });

  grid.addEventListener("click", (event) => {
    const cell = event.target.closest("[data-p]");
    if (!cell) {
      return;
    }
    set(Number(cell.dataset.p), Number(cell.dataset.e));
    grid.focus();
  });

  pInput.addEventListener("input", render);
  eInput.addEventListener("input", render);
  board.hidden = false;
  render();
}

function setUpIntensities(form) {
  for (const row of form.querySelectorAll("[data-emotion]")) {
    const box = row.querySelector('input[type="checkbox"]');
    const intensity = row.querySelector("[data-intensity]");
    if (!box || !intensity) {
      continue;
    }
    // Keep a field with an error visible so the message can be read.
    const sync = () => {
      intensity.hidden = !box.checked && !intensity.querySelector(".is-invalid");
    };
    box.addEventListener("change", sync);
    sync();
  }
}

for (const form of document.querySelectorAll("[data-checkin-form]")) {
  const meter = form.querySelector("[data-mood-meter]");
  if (meter) {
    setUpMeter(form, meter);
  }
  setUpIntensities(form);
}
