// The upload page (resources/upload.html): send the chosen files one per request, with a
// progress bar and a status line for each. Each request asks for JSON
// (Accept: application/json): 201 {"resource": {id, title, url}} or a problem document
// whose "detail" says why the file was refused. Without this script the form posts all
// files at once and the server answers with a page.

function csrfToken(form) {
  const field = form.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function fileRow(list, file, index, labels) {
  const id = `upload-file-${index}`;
  const item = element("li", { class: "upload-item stack stack-xs" });
  const label = element("label", { for: id, class: "upload-name", dir: "auto" }, file.name);
  const bar = element("progress", { id, max: "100", value: "0" });
  const status = element("p", { class: "upload-status", "aria-live": "polite" }, labels.uploading);
  item.append(label, bar, status);
  list.append(item);
  return { item, bar, status };
}

function problemDetail(xhr, fallback) {
  try {
    const body = JSON.parse(xhr.responseText);
    return body.detail || body.title || fallback;
  } catch {
    return fallback;
  }
}

function send(form, file, row, labels) {
  return new Promise((resolve) => {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken(form));
    data.append("files", file, file.name);
    for (const name of ["category", "tags"]) {
      const control = form.elements.namedItem(name);
      if (control && control.value) {
        data.append(name, control.value);
      }
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        row.bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201) {
        const { resource } = JSON.parse(xhr.responseText);
        row.bar.value = 100;
        row.status.textContent = `${labels.done}. `;
        const link = element("a", { href: resource.url, dir: "auto" }, labels.open);
        row.status.append(link);
        row.item.classList.add("is-done");
        resolve(true);
      } else {
        row.status.textContent = `${labels.failed}: ${problemDetail(xhr, labels.network)}`;
        row.item.classList.add("is-failed");
        resolve(false);
      }
    });
    for (const kind of ["error", "abort", "timeout"]) {
      xhr.addEventListener(kind, () => {
        row.status.textContent = `${labels.failed}: ${labels.network}`;
        row.item.classList.add("is-failed");
        resolve(false);
      });
    }
    xhr.send(data);
  });
}

function setUp(form) {
  const labels = form.dataset;
  const input = form.querySelector("input[type=file]");
  const results = document.querySelector("[data-upload-results]");
  const list = document.querySelector("[data-upload-list]");
  const summary = document.querySelector("[data-upload-summary]");
  const submit = form.querySelector("[data-upload-submit]");
  if (!input || !results || !list || !summary) {
    return;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = Array.from(input.files || []);
    const maxFiles = Number(labels.maxFiles) || 10;
    results.hidden = false;
    if (files.length === 0 || files.length > maxFiles) {
      summary.textContent = files.length === 0 ? labels.choose : labels.tooMany;
      input.focus();
      return;
    }
    submit.disabled = true;
    list.replaceChildren();
    summary.textContent = "";
    const rows = files.map((file, index) => fileRow(list, file, index, labels));
    let done = 0;
    // One at a time: the progress a coach sees is the real progress of each file.
    for (const [index, file] of files.entries()) {
      if (await send(form, file, rows[index], labels)) {
        done += 1;
      }
    }
    summary.textContent = labels.summary
      .replace("{done}", String(done))
      .replace("{total}", String(files.length));
    submit.disabled = false;
    input.value = "";
  });
}

for (const form of document.querySelectorAll("[data-upload-form]")) {
  setUp(form);
}
