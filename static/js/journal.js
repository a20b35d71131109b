// The journal entry form, improved: a slider beside each 1–10 number, the chosen
// prompt's text above the body, and recording an audio note in the browser.
// Without JavaScript the number inputs, the select and the file input do all of it.

// Sliders: for pointer users. The number input keeps the label and the value; the slider
// is hidden from assistive technology and the tab order, so nothing is announced twice.
for (const input of document.querySelectorAll("input.journal-scale")) {
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "1";
  slider.max = "10";
  slider.step = "1";
  slider.className = "journal-scale-slider";
  slider.tabIndex = -1;
  slider.setAttribute("aria-hidden", "true");
  slider.value = input.value || "5";
  slider.addEventListener("input", () => {
    input.value = slider.value;
  });
  input.addEventListener("input", () => {
    if (input.value) {
      slider.value = input.value;
    }
  });
  input.insertAdjacentElement("afterend", slider);
}

// The prompt's text, shown above the body when a prompt is chosen.
const promptSelect = document.querySelector("select[name='prompt']");
const promptShown = document.getElementById("journal-prompt-text");
const promptData = document.getElementById("journal-prompt-texts");
if (promptSelect && promptShown && promptData) {
  const texts = JSON.parse(promptData.textContent || "{}");
  promptSelect.addEventListener("change", () => {
    promptShown.textContent = texts[promptSelect.value] || "";
  });
}

// Recording: MediaRecorder's result is put into the file input, so the form posts it
// like a chosen file (the server checks it the same way).
const recorder = document.querySelector("[data-recorder]");
if (recorder) {
  const controls = recorder.querySelector("[data-recorder-controls]");
  const toggle = recorder.querySelector("[data-recorder-toggle]");
  const status = recorder.querySelector("[data-recorder-status]");
  const fileInput = recorder.querySelector("input[type='file']");
  const supported =
    window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    typeof DataTransfer === "function";
  if (controls && toggle && status && fileInput && supported) {
    controls.hidden = false;
    let active = null;
    let chunks = [];
    toggle.addEventListener("click", async () => {
      if (active) {
        active.stop();
        return;
      }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        status.textContent = controls.dataset.unavailable;
        return;
      }
      const type = ["audio/webm", "audio/ogg"].find((t) => MediaRecorder.isTypeSupported(t)) || "";
      active = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      chunks = [];
      active.addEventListener("dataavailable", (event) => chunks.push(event.data));
      active.addEventListener("stop", () => {
        for (const track of stream.getTracks()) {
          track.stop();
        }
        const mime = active.mimeType || type || "audio/webm";
        const extension = mime.includes("ogg") ? "ogg" : "webm";
        const file = new File(chunks, `recording.${extension}`, { type: mime });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        fileInput.files = transfer.files;
        status.textContent = controls.dataset.recorded;
        toggle.textContent = controls.dataset.labelStart;
        toggle.setAttribute("aria-pressed", "false");
        active = null;
      });
      active.start();
      status.textContent = controls.dataset.recording;
      toggle.textContent = controls.dataset.labelStop;
      toggle.setAttribute("aria-pressed", "true");
    });
  }
}
