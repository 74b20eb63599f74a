// Draws every <canvas data-chart="ID"> from the JSON block #ID (core/charts.py builds
// it), on page load and after each htmx swap. No inline script: CSP-friendly.
(() => {
  const PALETTE = {
    blue: "#2563eb", green: "#16a34a", yellow: "#ca8a04", red: "#dc2626",
    grey: "#6b7280", teal: "#0d9488", purple: "#7c3aed", orange: "#ea580c",
  };
  const ORDER = ["blue", "teal", "orange", "purple", "green", "red", "grey", "yellow"];
  const lang = document.documentElement.lang || "en";

  function formatter(kind) {
    if (kind === "percent") return (v) => `${Math.round(v * 1000) / 10}%`;
    if (kind === "money") return (v) => new Intl.NumberFormat(lang, { notation: "compact" }).format(v);
    return (v) => new Intl.NumberFormat(lang).format(v);
  }

  function draw(canvas) {
    if (canvas.dataset.chartReady || typeof window.Chart === "undefined") return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const fmt = formatter(spec.yFormat);
    const datasets = spec.series.map((s, i) => {
      const colour = PALETTE[s.colour || ORDER[i % ORDER.length]];
      return {
        type: s.kind || spec.kind,
        label: s.label,
        data: s.values,
        borderColor: colour,
        backgroundColor: (s.kind || spec.kind) === "bar" ? `${colour}cc` : colour,
        borderDash: s.dashed ? [6, 4] : [],
        borderWidth: 2,
        pointRadius: spec.labels.length > 40 ? 0 : 3,
        spanGaps: false,
        tension: 0.2,
      };
    });
    canvas.dataset.chartReady = "1";
    canvas._hgChart = new window.Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.raw === null ? "—" : fmt(ctx.raw)}` } },
        },
        scales: {
          x: { stacked: spec.stacked, grid: { display: false }, title: { display: !!spec.xTitle, text: spec.xTitle || "" } },
          y: {
            stacked: spec.stacked,
            min: spec.yMin ?? undefined,
            max: spec.yMax ?? undefined,
            ticks: { callback: (v) => fmt(v) },
            title: { display: !!spec.yTitle, text: spec.yTitle || "" },
          },
        },
        onClick: (_event, elements) => {
          if (!spec.links.length || !elements.length) return;
          const link = spec.links[elements[0].index];
          if (link) window.location.assign(link);
        },
      },
    });
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
})();
