// Tabs (WAI-ARIA tabs pattern with automatic activation). The server renders plain
// links (components/tabs.html); this module turns them into a tablist:
//  - in-page mode: every tab's panel is in the page; selecting a tab shows its panel;
//  - URL mode: only the active panel is in the page; selecting a tab fetches the tab's
//    URL with htmx and swaps the panel, then updates the address bar.
// Left/Right arrows follow the reading direction (mirrored in RTL); Home/End jump.
import { isRtl, within, once } from "./dom.js";

const URL_MODE_DELAY = 250;

function setUp(container) {
  const list = container.querySelector("[data-tab-list]");
  if (!list) {
    return;
  }
  const tabs = Array.from(list.querySelectorAll("[data-tab]"));
  if (tabs.length === 0) {
    return;
  }
  const panelFor = (tab) => document.getElementById(tab.dataset.panel);
  const inPage = tabs.every((tab) => panelFor(tab));
  const canFetch = inPage || typeof window.htmx !== "undefined";

  list.setAttribute("role", "tablist");
  for (const item of list.children) {
    item.setAttribute("role", "presentation");
  }
  let current =
    tabs.find((tab) => tab.getAttribute("aria-current") === "page") ||
    tabs.find((tab) => location.hash && `#${tab.dataset.panel}` === location.hash) ||
    tabs[0];

  for (const tab of tabs) {
    tab.setAttribute("role", "tab");
    tab.removeAttribute("aria-current");
  }

  const render = () => {
    for (const tab of tabs) {
      const selected = tab === current;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const panel = panelFor(tab);
      if (panel) {
        tab.setAttribute("aria-controls", panel.id);
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
        panel.tabIndex = 0;
        panel.hidden = !selected;
      } else {
        tab.removeAttribute("aria-controls");
      }
    }
  };

  let pending = null;
  const activate = (tab, { fromKeyboard = false } = {}) => {
    if (tab === current) {
      return;
    }
    if (inPage) {
      current = tab;
      render();
      history.replaceState(history.state, "", `#${tab.dataset.panel}`);
      return;
    }
    if (!canFetch) {
      location.assign(tab.href);
      return;
    }
    const previousPanel = panelFor(current);
    current = tab;
    render();
    clearTimeout(pending);
    // Arrowing across several tabs fetches only the one the user stops on.
    pending = setTimeout(
      () => {
        if (!previousPanel || !previousPanel.isConnected) {
          location.assign(tab.href);
          return;
        }
        previousPanel.setAttribute("aria-busy", "true");
        window.htmx
          .ajax("GET", tab.href, { target: previousPanel, select: `#${tab.dataset.panel}`, swap: "outerHTML" })
          .then(() => {
            history.replaceState(history.state, "", tab.href);
            render();
          });
      },
      fromKeyboard ? URL_MODE_DELAY : 0,
    );
  };

  list.addEventListener("click", (event) => {
    const tab = event.target instanceof Element ? event.target.closest("[role='tab']") : null;
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    tab.focus();
    activate(tab);
  });

  list.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) {
      return;
    }
    const forward = isRtl(list) ? "ArrowLeft" : "ArrowRight";
    const backward = isRtl(list) ? "ArrowRight" : "ArrowLeft";
    let next = null;
    if (event.key === forward) {
      next = tabs[(index + 1) % tabs.length];
    } else if (event.key === backward) {
      next = tabs[(index - 1 + tabs.length) % tabs.length];
    } else if (event.key === "Home") {
      next = tabs[0];
    } else if (event.key === "End") {
      next = tabs[tabs.length - 1];
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      activate(tabs[index]);
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
      activate(next, { fromKeyboard: true });
    }
  });

  render();
}

export function init(root) {
  for (const container of within(root, "[data-tabs]")) {
    once(container, "Tabs", setUp);
  }
}
