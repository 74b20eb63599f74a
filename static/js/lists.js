// Lists (the book, tasks, overdue contacts): keyboard shortcuts and the bulk bar.
// j/k move the row focus, x checks the focused row, e marks a task done, s snoozes it,
// Enter opens the row (its [data-hg-open] link, else its first link), ? shows the help sheet. Never while typing in a field, and never
// with Ctrl/Cmd/Alt held (Ctrl/Cmd+K belongs to search.js).
// The bulk bar: "select all" checks the page's rows, the count follows the checks, a
// bulk action's "hg-list-changed" event reloads the list, and "Undo" goes away after
// its seconds.
(() => {
  "use strict";
  let index = -1;

  const list = () => document.querySelector("[data-hg-list]");
  const rows = () => Array.from(list()?.querySelectorAll("[data-hg-row]") || []);
  const boxes = () => Array.from(list()?.querySelectorAll("[data-hg-select]") || []);
  const current = () => (index >= 0 ? rows()[index] : undefined);

  function paint(scroll) {
    const all = rows();
    if (index >= all.length) index = all.length - 1;
    all.forEach((row, n) => {
      row.classList.toggle("hg-row-focus", n === index);
      if (n === index) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
    if (scroll && index >= 0) all[index].scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    index = index < 0 ? 0 : Math.max(0, Math.min(index + step, all.length - 1));
    paint(true);
  }

  function count() {
    const all = boxes();
    const checked = all.filter((box) => box.checked).length;
    document.querySelectorAll("[data-hg-selected-count]").forEach((el) => {
      el.textContent = String(checked);
    });
    const every = list()?.querySelector("[data-hg-select-all]");
    if (every) {
      every.checked = all.length > 0 && checked === all.length;
      every.indeterminate = checked > 0 && checked < all.length;
    }
  }

  function typing(target) {
    return Boolean(target.closest?.("input, textarea, select, [contenteditable]")) || target.isContentEditable;
  }

  function toggleHelp() {
    const help = document.getElementById("hg-keys-help");
    if (!help) return false;
    if (help.open) help.close();
    else help.showModal();
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    const help = document.getElementById("hg-keys-help");
    const otherDialog = Array.from(document.querySelectorAll("dialog[open]")).some((d) => d !== help);
    if (otherDialog) return;
    if (event.key === "?") {
      if (toggleHelp()) event.preventDefault();
      return;
    }
    if (help?.open || !list()) return;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "x": {
        const box = current()?.querySelector("[data-hg-select]");
        if (!box) return;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        break;
      }
      case "e":
      case "s": {
        const button = current()?.querySelector(`[data-hg-key="${event.key}"]`);
        if (!button) return;
        button.click();
        break;
      }
      case "Enter": {
        // Enter on a focused link or button is theirs.
        if (event.target.closest?.("a, button")) return;
        const row = current();
        const link = row?.querySelector("[data-hg-open]") || row?.querySelector("a[href]");
        if (!link) return;
        link.click();
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches?.("[data-hg-select-all]")) {
      boxes().forEach((box) => {
        box.checked = event.target.checked;
      });
    }
    if (event.target.matches?.("[data-hg-select], [data-hg-select-all]")) count();
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest?.("[data-hg-keys-open]")) {
      toggleHelp();
      return;
    }
    const row = event.target.closest?.("[data-hg-row]");
    if (row && list()?.contains(row)) {
      index = rows().indexOf(row);
      paint(false);
    }
  });

  document.addEventListener("hg-list-changed", () => {
    const box = document.querySelector("[data-hg-refresh]");
    if (box && window.htmx) window.htmx.ajax("GET", window.location.href, { target: box, swap: "innerHTML" });
  });

  document.addEventListener("htmx:afterSettle", () => {
    paint(false);
    count();
    document.querySelectorAll("[data-hg-undo-seconds]:not([data-hg-timed])").forEach((note) => {
      note.setAttribute("data-hg-timed", "");
      const seconds = Number(note.getAttribute("data-hg-undo-seconds")) || 10;
      window.setTimeout(() => note.querySelector(".hg-bulk-undo")?.remove(), seconds * 1000);
    });
  });
})();
