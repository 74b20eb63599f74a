// The account page's tabs (templates/workspace/account_detail.html): ARIA tabs with
// arrow keys, a URL hash per tab (#people opens People; back and forward move between
// tabs), each panel fetched by htmx the first time it shows ("hg-tab-show once").
// "Log a touch" opens the Activity tab's form with its kind and time already filled.
(() => {
  // htmx copies the old elements' style attribute onto the swapped-in form's fields (same
  // ids) while it settles, which the Content-Security-Policy (style-src 'self') refuses.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];
  const strip = () => document.querySelector("[data-hg-tabs]");
  const tabs = () => Array.from(document.querySelectorAll("[data-hg-tab]"));

  function select(slug, { focus = false } = {}) {
    const all = tabs();
    const target = all.find((tab) => tab.dataset.hgTab === slug) || all[0];
    if (!target) return;
    for (const tab of all) {
      const on = tab === target;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (!panel) continue;
      panel.hidden = !on;
      if (on && !panel.dataset.loaded && window.htmx) {
        panel.dataset.loaded = "1";
        window.htmx.trigger(panel, "hg-tab-show");
      }
    }
    if (focus) target.focus();
    target.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  const fromHash = () => decodeURIComponent(window.location.hash.replace(/^#/, ""));

  function go(slug) {
    if (fromHash() !== slug) window.history.pushState({ hgTab: slug }, "", `#${slug}`);
    select(slug);
  }

  function openTouchForm() {
    go("activity");
    const box = document.getElementById("log-touch");
    if (!box) return;
    box.open = true;
    box.scrollIntoView({ block: "start" });
    const kind = box.querySelector("input[name=kind]:checked") || box.querySelector("input[name=kind]");
    if (kind) kind.focus({ preventScroll: true });
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-hg-log-touch]");
    if (opener) {
      event.preventDefault();
      openTouchForm();
      return;
    }
    const tab = event.target.closest("[data-hg-tab]");
    if (tab) {
      event.preventDefault();
      go(tab.dataset.hgTab);
    }
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest("[data-hg-tab]");
    if (!tab) return;
    const all = tabs();
    const at = all.indexOf(tab);
    const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = all[(moves[event.key] + all.length) % all.length];
    go(next.dataset.hgTab);
    next.focus();
  });

  // The subject follows the kind while the user has not typed one of their own.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.name !== "kind" || !input.closest("[data-hg-touch-form]")) return;
    const form = input.closest("form");
    const labels = JSON.parse((document.getElementById("hg-touch-kind-labels") || {}).textContent || "{}");
    const title = form.querySelector("input[name=title]");
    if (title && (title.value === "" || Object.values(labels).includes(title.value))) title.value = labels[input.value] || "";
  });

  window.addEventListener("popstate", () => select(fromHash() || "activity"));
  window.addEventListener("hashchange", () => select(fromHash() || "activity"));
  document.addEventListener("DOMContentLoaded", () => {
    if (strip() && fromHash()) select(fromHash());
  });
  // After htmx fills a panel, it is no longer busy.
  document.addEventListener("htmx:afterSettle", (event) => {
    const panel = event.target.closest && event.target.closest("[data-hg-panel]");
    if (panel) panel.removeAttribute("aria-busy");
  });
})();
