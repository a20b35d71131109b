// The audio and video player of a resource page (resources/_viewer_media.html).
// Skip back / forward and playback speed controls, and — on the client's page, where the
// player has data-progress-url — reporting what was played. The report carries the
// media element's own `played` TimeRanges: the browser adds to them only while media
// actually plays, so seeking to the end adds nothing and the server can trust the ranges
// as "watched" (it merges them with what it already has). Reports go every 15 s while
// playing, on pause, on ended, and on pagehide (keepalive, so it survives leaving).

const REPORT_EVERY_MS = 15000;

function csrfToken() {
  // The layout gives every page its token in the body's hx-headers (for htmx); the
  // cookie's name is a setting, so it is not read here.
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function playedRanges(media) {
  const ranges = [];
  for (let index = 0; index < media.played.length; index += 1) {
    const start = media.played.start(index);
    const end = media.played.end(index);
    if (end > start) {
      ranges.push([start, end]);
    }
  }
  return ranges;
}

function setUpControls(player, media) {
  const controls = player.querySelector("[data-media-controls]");
  if (!controls) {
    return;
  }
  controls.hidden = false;
  for (const button of controls.querySelectorAll("[data-skip]")) {
    button.addEventListener("click", () => {
      const target = media.currentTime + Number(button.dataset.skip);
      const end = Number.isFinite(media.duration) ? media.duration : target;
      media.currentTime = Math.min(Math.max(target, 0), end);
    });
  }
  const speed = controls.querySelector("[data-speed]");
  speed?.addEventListener("change", () => {
    media.playbackRate = Number(speed.value) || 1;
  });
}

function setUpProgress(player, media) {
  const url = player.dataset.progressUrl;
  if (!url) {
    return;
  }
  const status = player.querySelector("[data-media-status]");
  let lastSent = "";
  let timer = null;

  const show = (state) => {
    if (!status) {
      return;
    }
    status.textContent = state.completed
      ? player.dataset.completedLabel
      : player.dataset.watchedLabel.replace("{percent}", String(state.watched_percent));
  };

  const report = async ({ leaving = false } = {}) => {
    const duration = media.duration;
    const played = playedRanges(media);
    if (!Number.isFinite(duration) || duration <= 0 || played.length === 0) {
      return;
    }
    const body = JSON.stringify({ played, position: media.currentTime, duration });
    if (body === lastSent) {
      return;
    }
    lastSent = body;
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        keepalive: leaving,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
      });
      if (!response.ok) {
        throw new Error(`progress report answered ${response.status}`);
      }
      if (!leaving) {
        show(await response.json());
      }
    } catch (error) {
      lastSent = "";
      if (!leaving && status) {
        status.textContent = player.dataset.error;
      }
      console.error(error);
    }
  };

  media.addEventListener("play", () => {
    clearInterval(timer);
    timer = setInterval(report, REPORT_EVERY_MS);
  });
  media.addEventListener("pause", () => {
    clearInterval(timer);
    report();
  });
  media.addEventListener("ended", () => {
    clearInterval(timer);
    report();
  });
  window.addEventListener("pagehide", () => report({ leaving: true }));
}

for (const player of document.querySelectorAll("[data-media-player]")) {
  if (player.dataset.loomMedia) {
    continue;
  }
  player.dataset.loomMedia = "1";
  const media = player.querySelector("[data-media]");
  if (media) {
    setUpControls(player, media);
    setUpProgress(player, media);
  }
}
