// Global search: Ctrl+K (Cmd+K on a Mac) opens the quick-jump dialog; htmx fetches the
// results as you type; ↑/↓ move through them, Enter opens the highlighted one (or the
// full results page when none is), Esc closes (the native <dialog> does that).
(() => {
  "use strict";
  let active = -1;

  const dialog = () => document.getElementById("hg-quick-jump");
  const input = () => dialog()?.querySelector("input[name=q]");
  const hits = () => Array.from(dialog()?.querySelectorAll("[data-search-hit]") || []);

  function highlight(index) {
    const all = hits();
    active = all.length ? Math.max(0, Math.min(index, all.length - 1)) : -1;
    all.forEach((hit, i) => {
      hit.classList.toggle("active", i === active);
      hit.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    const field = input();
    if (!field) return;
    if (active >= 0) {
      all[active].scrollIntoView({ block: "nearest" });
      field.setAttribute("aria-activedescendant", all[active].id);
    } else {
      field.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    const box = dialog();
    if (!box) return;
    if (!box.open) box.showModal();
    const field = input();
    const typed = document.getElementById("hg-search-q");
    if (typed && typed.value && !field.value) {
      field.value = typed.value;
      field.dispatchEvent(new Event("search"));
    }
    field.focus();
    field.select();
  }

  document.addEventListener("keydown", (event) => {
    if ((event.metaKey || event.ctrlKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      open();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const box = dialog();
    if (!box) return;
    // The top bar collapses into a hidden menu on narrow screens; the dialog must not.
    document.body.appendChild(box);
    box.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Escape") {
        // A search field would take the first Esc to clear itself: close at once.
        event.preventDefault();
        box.close();
      } else if (event.key === "Enter" && !event.isComposing) {
        const all = hits();
        if (active >= 0 && all[active]) {
          event.preventDefault();
          window.location.assign(all[active].href);
        }
      }
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    box.addEventListener("click", (event) => {
      if (event.target === box) box.close();
    });
    // Typing invalidates the highlight until the new results arrive.
    input()?.addEventListener("input", () => { active = -1; });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.target.id === "hg-quick-results") highlight(0);
    });
  });
})();
