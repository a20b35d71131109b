// Loom's service worker (served at /sw.js by loom.web.views_pwa, scope "/").
// It shows Web Push notifications, closes them when the thing was seen elsewhere
// ("clear"), and opens Loom when one is clicked. It does not intercept page loads:
// every page comes from the server as before.
"use strict";

const ICON_URL = {{ icon_url }};
const BADGE_URL = {{ badge_url }};
const FALLBACK_PATH = "/notifications/";

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

// Only a path on this site is ever opened: a push cannot send anyone elsewhere.
function sitePath(value) {
  if (typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")) {
    return value;
  }
  return FALLBACK_PATH;
}

function readPush(event) {
  if (!event.data) {
    return null;
  }
  try {
    return event.data.json();
  } catch (error) {
    return null;
  }
}

async function clearTag(tag) {
  if (!tag) {
    return;
  }
  const shown = await self.registration.getNotifications({ tag });
  for (const notification of shown) {
    notification.close();
  }
}

self.addEventListener("push", (event) => {
  const data = readPush(event);
  if (!data) {
    return;
  }
  if (data.kind === "clear") {
    // Browsers that insist every push shows something (Chrome's userVisibleOnly) may
    // show their own short notice when a "clear" arrives while no Loom tab is open;
    // docs/notifications.md explains.
    event.waitUntil(clearTag(data.tag));
    return;
  }
  const options = {
    body: data.body || "",
    data: { url: sitePath(data.url) },
    icon: ICON_URL,
    badge: BADGE_URL,
    dir: "auto",
    renotify: false,
  };
  if (data.tag) {
    options.tag = data.tag;
  }
  event.waitUntil(self.registration.showNotification(data.title || "Loom", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = sitePath(event.notification.data && event.notification.data.url);
  const target = new URL(path, self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const loom = windows.filter((client) => new URL(client.url).origin === self.location.origin);
      const already = loom.find((client) => client.url === target);
      if (already) {
        await already.focus();
        return;
      }
      for (const client of loom) {
        // navigate() works only on pages this worker controls.
        if (client.focus && client.navigate) {
          try {
            const focused = await client.focus();
            await focused.navigate(target);
            return;
          } catch (error) {
            // Not controlled by this worker: open a new window below.
          }
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
