// Push notifications on this device.
//
// Loaded by the push devices section (notifications/_push_devices.html). It registers
// the service worker (/sw.js, the whole site's scope) and, where the section is on the
// page and the server has VAPID keys, offers "Turn on notifications on this device":
// permission → pushManager.subscribe → POST of the subscription to the server. The
// device list comes from the server (htmx); this script marks the row of this browser
// and, when that row is removed, unsubscribes the browser too. Texts come from the
// section's data-text-* attributes, translated by the server.

const SW_URL = "/sw.js";

function serviceWorkerSupported() {
  return "serviceWorker" in navigator;
}

function pushSupported() {
  return serviceWorkerSupported() && "PushManager" in window && "Notification" in window;
}

let registering = null;

export function registerServiceWorker() {
  if (!serviceWorkerSupported()) {
    return Promise.resolve(null);
  }
  if (!registering) {
    registering = navigator.serviceWorker.register(SW_URL, { scope: "/" }).catch((error) => {
      console.warn("Loom: the service worker did not register.", error);
      return null;
    });
  }
  return registering;
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

function sameKey(subscription, expected) {
  const key = subscription.options && subscription.options.applicationServerKey;
  if (!key) {
    return false;
  }
  const found = new Uint8Array(key);
  return found.length === expected.length && found.every((byte, index) => byte === expected[index]);
}

// "Chrome on Android": what people recognise in the device list.
function deviceLabel(template) {
  const agent = navigator.userAgent;
  const browsers = [
    ["Edg/", "Edge"],
    ["OPR/", "Opera"],
    ["SamsungBrowser/", "Samsung Internet"],
    ["Firefox/", "Firefox"],
    ["Chrome/", "Chrome"],
    ["Chromium/", "Chromium"],
    ["Safari/", "Safari"],
  ];
  const systems = [
    ["Android", "Android"],
    ["iPhone", "iOS"],
    ["iPad", "iPadOS"],
    ["Windows", "Windows"],
    ["Mac OS X", "macOS"],
    ["CrOS", "ChromeOS"],
    ["Linux", "Linux"],
  ];
  const browser = (browsers.find(([needle]) => agent.includes(needle)) || [null, "Browser"])[1];
  const system = (systems.find(([needle]) => agent.includes(needle)) || [null, "?"])[1];
  return template.replace("%(browser)s", browser).replace("%(system)s", system).slice(0, 120);
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

function say(section, text) {
  const status = section.querySelector("[data-push-status]");
  if (status) {
    status.textContent = text;
  }
}

function markThisDevice(section, endpoint) {
  let found = false;
  for (const row of section.querySelectorAll("[data-push-endpoint]")) {
    if (row.getAttribute("data-push-endpoint") !== endpoint) {
      continue;
    }
    found = true;
    const name = row.querySelector("[data-push-device-name]");
    if (name && !row.querySelector(".push-this-device")) {
      const badge = document.createElement("span");
      badge.className = "badge badge-success push-this-device";
      badge.textContent = section.dataset.textThisDevice;
      name.after(" ", badge);
    }
  }
  return found;
}

function refreshList(section) {
  const region = section.closest("[data-push-region]");
  if (region && window.htmx) {
    return window.htmx.ajax("GET", section.dataset.listUrl, { target: region, swap: "innerHTML" });
  }
  window.location.reload();
  return Promise.resolve();
}

async function enable(section, registration, button) {
  const key = keyBytes(section.dataset.publicKey);
  button.disabled = true;
  say(section, section.dataset.textWorking);
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(section, permission === "denied" ? section.dataset.textDenied : section.dataset.textFailed);
      return;
    }
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      // Made with keys this server no longer uses: no push service would accept it.
      await subscription.unsubscribe();
      subscription = null;
    }
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: key,
      });
    }
    const response = await fetch(section.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ ...subscription.toJSON(), label: deviceLabel(section.dataset.textLabel) }),
    });
    if (!response.ok) {
      throw new Error(`The server answered ${response.status}.`);
    }
    await refreshList(section);
  } catch (error) {
    console.warn("Loom: push could not be turned on.", error);
    say(section, section.dataset.textFailed);
  } finally {
    button.disabled = false;
  }
}

async function setUp(section) {
  if (section.dataset.pushReady) {
    return;
  }
  section.dataset.pushReady = "true";
  const button = section.querySelector("[data-push-enable]");
  if (!section.dataset.publicKey || !button) {
    return;
  }
  if (!pushSupported()) {
    say(section, section.dataset.textUnsupported);
    return;
  }
  if (Notification.permission === "denied") {
    say(section, section.dataset.textDenied);
    return;
  }
  if (!(await registerServiceWorker())) {
    say(section, section.dataset.textUnsupported);
    return;
  }
  const registration = await navigator.serviceWorker.ready;
  const current = await registration.pushManager.getSubscription();
  // A subscription made with keys the server no longer has counts as off: the button
  // replaces it.
  const usable = current && sameKey(current, keyBytes(section.dataset.publicKey));
  if (usable && markThisDevice(section, current.endpoint)) {
    say(section, section.dataset.textOn);
    section.addEventListener("submit", (event) => {
      const row = event.target.closest("[data-push-endpoint]");
      if (row && row.getAttribute("data-push-endpoint") === current.endpoint) {
        // Removing this browser's row: stop its subscription too, or it would keep
        // a push address nobody on the server knows.
        current.unsubscribe().catch(() => {});
      }
    });
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => enable(section, registration, button));
}

function init(root) {
  for (const section of root.querySelectorAll("[data-push-devices]")) {
    setUp(section).catch((error) => console.warn("Loom: push set-up failed.", error));
  }
}

registerServiceWorker();
init(document);
document.addEventListener("htmx:load", (event) => {
  if (event.target instanceof Element) {
    init(event.target.matches("[data-push-devices]") ? event.target.parentElement : event.target);
  }
});
// After a device is removed the list is swapped in place: keep the keyboard there.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail && event.detail.target;
  if (target instanceof HTMLElement && target.matches("[data-push-region]")) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      target.focus();
    }
  }
});
