// Small behaviours htmx does not cover. No inline scripts anywhere (CSP-friendly).
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});
