// Calendar subscription page: a "Copy link" button for the private feed URL.
// Without JS (or a clipboard) the button stays hidden and the URL can be selected
// and copied by hand from its read-only field.
import { showToast } from "./toast.js";

function setUp(button) {
  const field = document.getElementById(button.dataset.copyTarget || "");
  if (!field || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      showToast(button.dataset.copied || "", "success");
    } catch {
      // No permission: select the text so Ctrl+C / Cmd+C copies it.
      field.focus();
      field.select();
    }
  });
}

for (const button of document.querySelectorAll("button[data-copy-target]")) {
  setUp(button);
}
