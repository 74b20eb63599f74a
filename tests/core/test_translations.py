from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.i18n_catalogue import ZH_HANS_PO, extracted_messages, zh_hans_catalogue

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


# The UI never cites the source articles behind the product ("seed 003"): users have never
# seen them. Say what the figure is instead. Plain comments and docstrings may cite them.
SOURCE_CITATION = re.compile(r"seed\s*0\d|种子\s*0\d", re.IGNORECASE)
ROOT = LOCALE.parent
SKIPPED_DIRS = {".venv", "node_modules", "vendor", "tests", "migrations", "bench", "var", ".git"}
GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
UI_KEYWORDS = {"verbose_name", "verbose_name_plural", "help_text", "label", "description"}


def project_files(*suffixes: str) -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if path.suffix in suffixes and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
    ]


def ui_strings(source: str) -> list[str]:
    """String literals a user can read: gettext arguments and UI keyword arguments."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        values = list(node.args) if name in GETTEXT_CALLS else []
        values += [kw.value for kw in node.keywords if kw.arg in UI_KEYWORDS]
        found += [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return found


def test_templates_do_not_cite_the_source_articles():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in project_files(".html", ".txt")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SOURCE_CITATION.search(line)
    ]
    assert offenders == []


def test_catalogues_do_not_cite_the_source_articles():
    offenders = [
        (language, msgid, msgstr)
        for language in ("en", "zh_Hans")
        for msgid, msgstr in entries((LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
        if SOURCE_CITATION.search(msgid) or SOURCE_CITATION.search(msgstr)
    ]
    assert offenders == []


def test_translatable_python_strings_do_not_cite_the_source_articles():
    offenders = [
        (str(path.relative_to(ROOT)), text)
        for path in project_files(".py")
        for text in ui_strings(path.read_text(encoding="utf-8"))
        if SOURCE_CITATION.search(text)
    ]
    assert offenders == []


def test_the_citation_check_sees_gettext_and_ui_keywords():
    source = 'x = _("Ratio (seed 001)")\ny = models.CharField(help_text="per seed 003")\n# seed 004\n'
    assert [text for text in ui_strings(source) if SOURCE_CITATION.search(text)] == [
        "Ratio (seed 001)",
        "per seed 003",
    ]


def test_every_string_makemessages_extracts_has_a_simplified_chinese_translation(tmp_path: Path) -> None:
    """What a zh-hans user would see in English: every msgid Django's ``makemessages``
    collects from the source (templates, ``gettext*``/``pgettext*`` calls, with their
    contexts) must have a translation in the catalogue. Extraction runs on a copy, so the
    repo's locale/ is never written."""
    before = ZH_HANS_PO.read_bytes()
    extracted = extracted_messages(tmp_path)
    catalogue = zh_hans_catalogue()
    assert len(extracted) > 1000  # the extraction really ran over the project
    untranslated = sorted(
        (key[0] or "", key[1]) for key in extracted if key not in catalogue or not catalogue[key].translated
    )
    assert untranslated == []
    assert ZH_HANS_PO.read_bytes() == before


def test_the_extraction_check_sees_a_string_missing_from_the_catalogue(tmp_path: Path) -> None:
    app = tmp_path / "source" / "probe"
    app.mkdir(parents=True)
    (app / "views.py").write_text(
        "from django.utils.translation import gettext_noop, pgettext_lazy\n"
        'A = gettext_noop("A probe string nobody translated")\n'
        'B = pgettext_lazy("probe", "Open")\n',
        encoding="utf-8",
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    import tests.i18n_catalogue as catalogue_module

    original = catalogue_module.ROOT
    catalogue_module.ROOT = tmp_path / "source"
    try:
        extracted = extracted_messages(workdir)
    finally:
        catalogue_module.ROOT = original
    assert set(extracted) == {(None, "A probe string nobody translated"), ("probe", "Open")}
    assert (None, "A probe string nobody translated") not in zh_hans_catalogue()
