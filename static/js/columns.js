// The "Columns" menu of a wide table (partials/_column_menu.html, org/columns.py).
// The menu lists the table's optional columns (its headers with data-col; the name
// column has none and always stays) as checkboxes; unchecking one hides that column at
// once (the hg-hide-<key> class on the table, static/css/columns.css) and saves the
// choice for the person. An htmx reload of the table renders the saved classes itself.
(() => {
  "use strict";

  const tableOf = (menu) => document.querySelector(menu.dataset.hgColumnsTarget);
  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  };

  function fill(menu) {
    const table = tableOf(menu);
    const list = menu.querySelector("[data-hg-columns-list]");
    if (!table || !list) return;
    list.replaceChildren();
    table.querySelectorAll("thead th[data-col]").forEach((header) => {
      const key = header.dataset.col;
      const id = `hg-col-${menu.dataset.hgColumnsTable}-${key}`;
      const item = document.createElement("div");
      item.className = "form-check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input";
      box.id = id;
      box.value = key;
      box.checked = !table.classList.contains(`hg-hide-${key}`);
      box.dataset.testid = `column-${key}`;
      const label = document.createElement("label");
      label.className = "form-check-label text-nowrap";
      label.htmlFor = id;
      label.textContent = header.dataset.colLabel || header.textContent.trim();
      item.append(box, label);
      list.append(item);
    });
  }

  function save(menu, box) {
    const table = tableOf(menu);
    if (!table) return;
    table.classList.toggle(`hg-hide-${box.value}`, !box.checked);
    const body = new URLSearchParams();
    table.classList.forEach((name) => {
      if (name.startsWith("hg-hide-")) body.append("hidden", name.slice("hg-hide-".length));
    });
    fetch(menu.dataset.hgColumnsUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body,
      credentials: "same-origin",
    }).then((response) => {
      menu.querySelector("[data-hg-columns-status]")?.classList.toggle("d-none", response.ok);
    });
  }

  document.addEventListener("show.bs.dropdown", (event) => {
    const menu = event.target.closest("[data-hg-columns]");
    if (menu) fill(menu);
  });
  document.addEventListener("change", (event) => {
    const box = event.target;
    const menu = box.closest?.("[data-hg-columns]");
    if (menu && box.matches("input[type=checkbox]")) save(menu, box);
  });
})();
