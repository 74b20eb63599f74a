import json
import re
from decimal import Decimal

from django.template import Context, Template

from core.charts import Series, bar_chart, line_chart


def test_spec_serialises_decimals_and_gaps():
    spec = line_chart("Health", ["1 Nov", "2 Nov", "3 Nov"], [Series("Score", [Decimal("71.5"), None, 40])])
    data = spec.as_json()
    assert data["series"][0]["values"] == [71.5, None, 40.0]
    assert data["kind"] == "line" and data["labels"] == ["1 Nov", "2 Nov", "3 Nov"]


def test_summary_reads_first_and_last_known_values():
    spec = bar_chart(
        "Retention", ["Q1", "Q2"], [Series("GRR", [0.9, 0.85]), Series("NDR", [None, 1.1])], y_format="percent"
    )
    assert spec.summary() == "Retention (Q1 – Q2): GRR: 90% → 85%; NDR: 110% → 110%"


def test_chart_tag_renders_canvas_and_json_block_without_inline_script():
    spec = line_chart("Trend <x>", ["a"], [Series("S", [1])], links=["/accounts/?x=1"])
    html = Template('{% load hourglass %}{% chart spec "trend" %}').render(Context({"spec": spec}))
    assert '<canvas id="trend" data-chart="trend-data"' in html
    block = re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None
    assert json.loads(block.group(1))["links"] == ["/accounts/?x=1"]
    assert "Trend &lt;x&gt;" in html  # the text alternative is escaped
