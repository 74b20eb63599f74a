// Long bodies clamp with "Show more" (static/css/hourglass.css, section Layout).
// An element with class hg-clamp that is taller than the clamp gets the class hg-clamped
// and a toggle button after it; the labels come from <main data-hg-more data-hg-less>.
(() => {
  const LIMIT = 12 * 16 + 8; // px: the CSS max-height (12rem) plus a little slack

  const clamp = (root) => {
    const main = document.querySelector("main");
    const more = (main && main.dataset.hgMore) || "Show more";
    const less = (main && main.dataset.hgLess) || "Show less";
    for (const body of root.querySelectorAll(".hg-clamp:not([data-hg-clamp])")) {
      body.dataset.hgClamp = "1";
      if (body.scrollHeight <= LIMIT) continue;
      body.classList.add("hg-clamped");
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "btn btn-link btn-sm hg-clamp-toggle";
      toggle.textContent = more;
      toggle.setAttribute("aria-expanded", "false");
      toggle.addEventListener("click", () => {
        const open = body.classList.toggle("hg-open");
        toggle.textContent = open ? less : more;
        toggle.setAttribute("aria-expanded", String(open));
      });
      body.after(toggle);
    }
  };

  document.addEventListener("DOMContentLoaded", () => clamp(document));
  document.addEventListener("htmx:afterSettle", (event) => clamp(event.target));
})();
