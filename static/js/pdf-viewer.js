// The PDF viewer of a resource page (resources/_viewer_pdf.html): pdf.js renders one page
// at a time into a canvas fitted to the viewer's width, with Previous / Next buttons,
// arrow and Page Up / Page Down keys, and a live "Page 2 of 5". The plain "Open the PDF"
// link stays for readers without JavaScript and for when pdf.js cannot open the file.
// pdf.js is imported from its own static URL (data-lib) so pages without a PDF never load it.

const FIT_DEBOUNCE_MS = 150;

function label(template, page, pages) {
  return template.replace("{page}", String(page)).replace("{pages}", String(pages));
}

async function setUp(viewer) {
  const toolbar = viewer.querySelector("[data-pdf-toolbar]");
  const pagesBox = viewer.querySelector("[data-pdf-pages]");
  const status = viewer.querySelector("[data-pdf-status]");
  const previous = viewer.querySelector("[data-pdf-previous]");
  const next = viewer.querySelector("[data-pdf-next]");
  let pdf;
  try {
    const pdfjs = await import(viewer.dataset.lib);
    pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
    // No eval: the page's Content-Security-Policy forbids it.
    pdf = await pdfjs.getDocument({ url: viewer.dataset.url, isEvalSupported: false }).promise;
  } catch (error) {
    console.error(error);
    const message = document.createElement("p");
    message.className = "alert alert-warning";
    message.textContent = viewer.dataset.error;
    viewer.prepend(message);
    return;
  }

  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  // Labelled at once: render() only names it once the first page has loaded.
  canvas.setAttribute("aria-label", label(viewer.dataset.pageLabel, 1, pdf.numPages));
  pagesBox.append(canvas);
  toolbar.hidden = false;
  pagesBox.hidden = false;
  let current = 1;
  let rendering = null;

  const render = async () => {
    if (rendering) {
      rendering.cancel();
    }
    const page = await pdf.getPage(current);
    const natural = page.getViewport({ scale: 1 });
    const width = Math.max(pagesBox.clientWidth, 200);
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: (width / natural.width) * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
    canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
    const text = label(viewer.dataset.pageLabel, current, pdf.numPages);
    canvas.setAttribute("aria-label", text);
    status.textContent = text;
    // A button that becomes disabled while focused would drop the focus to the page:
    // hand it to the other button instead.
    const focused = document.activeElement;
    previous.disabled = current <= 1;
    next.disabled = current >= pdf.numPages;
    if (focused === previous && previous.disabled && !next.disabled) {
      next.focus();
    } else if (focused === next && next.disabled && !previous.disabled) {
      previous.focus();
    }
    rendering = page.render({ canvasContext: canvas.getContext("2d"), viewport });
    try {
      await rendering.promise;
    } catch (error) {
      if (error?.name !== "RenderingCancelledException") {
        throw error;
      }
    }
  };

  const go = (page) => {
    const target = Math.min(Math.max(page, 1), pdf.numPages);
    if (target !== current) {
      current = target;
      render();
    }
  };

  previous.addEventListener("click", () => go(current - 1));
  next.addEventListener("click", () => go(current + 1));
  pagesBox.addEventListener("keydown", (event) => {
    const rtl = getComputedStyle(pagesBox).direction === "rtl";
    const forward = { PageDown: 1, ArrowDown: 1, PageUp: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    let step = forward[event.key];
    if (event.key === "ArrowRight") {
      step = rtl ? -1 : 1;
    } else if (event.key === "ArrowLeft") {
      step = rtl ? 1 : -1;
    }
    if (step === undefined) {
      return;
    }
    event.preventDefault();
    go(Number.isFinite(step) ? current + step : step > 0 ? pdf.numPages : 1);
  });
  let timer;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(render, FIT_DEBOUNCE_MS);
  });
  await render();
}

for (const viewer of document.querySelectorAll("[data-pdf-viewer]")) {
  if (!viewer.dataset.loomPdf) {
    viewer.dataset.loomPdf = "1";
    setUp(viewer);
  }
}
