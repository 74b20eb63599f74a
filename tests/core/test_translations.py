from __future__ import annotations

import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def entries(po_text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .po file, multi-line strings joined."""
    pairs = []
    for block in po_text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"Project' not in block:
            pairs.append(("<fuzzy>", ""))
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgid ", 1)[-1].split("msgstr", 1)[0]))
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        if "msgid" not in block or not msgid:
            continue
        pairs.append((msgid, "".join("".join(re.findall(r'"(.*)"', s)) for s in strs)))
    return pairs


def test_every_ui_string_has_a_simplified_chinese_translation():
    po = (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = [msgid for msgid, msgstr in entries(po) if not msgstr]
    assert missing == []


def test_domain_terms_are_used():
    po = (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    table = dict(entries(po))
    assert table["Target customer"] == "精准客户"
    assert table["Exploratory customer"] == "探索客户"
    assert table["CSM"] == "客户成功经理"
