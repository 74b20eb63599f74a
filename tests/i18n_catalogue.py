"""The zh-hans catalogue as tests see it: the repo's .po file, and what ``makemessages``
would extract from the source today (run against a copy, never the repo's locale/)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.test.utils import override_settings

ROOT = Path(__file__).resolve().parents[1]
ZH_HANS_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Not shipped UI (tests, benchmarks), build output, or the catalogue itself.
NOT_EXTRACTED = {".venv", "node_modules", "var", "tests", "bench", "locale", "static", "test-artifacts", ".git"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}

FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')
CONTINUATION = re.compile(r'^"(.*)"$')


@dataclass(frozen=True)
class Message:
    context: str | None
    msgid: str
    msgid_plural: str
    msgstrs: tuple[str, ...]
    fuzzy: bool

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstrs) and all(self.msgstrs)


def unescape(text: str) -> str:
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def parse_po(text: str) -> dict[tuple[str | None, str], Message]:
    """Messages of a .po/.pot file by (msgctxt, msgid); the header and obsolete entries left out."""
    messages = {}
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if match := FIELD.match(line):
                current = match.group(1)
                fields[current] = fields.get(current, "") + match.group(2)
            elif (match := CONTINUATION.match(line)) and current:
                fields[current] += match.group(1)
        if not fields.get("msgid"):
            continue
        context = unescape(fields["msgctxt"]) if "msgctxt" in fields else None
        msgid = unescape(fields["msgid"])
        messages[(context, msgid)] = Message(
            context=context,
            msgid=msgid,
            msgid_plural=unescape(fields.get("msgid_plural", "")),
            msgstrs=tuple(unescape(value) for key, value in fields.items() if key.startswith("msgstr")),
            fuzzy=bool(re.search(r"^#,.*\bfuzzy\b", block, re.M)),
        )
    return messages


def zh_hans_catalogue() -> dict[tuple[str | None, str], Message]:
    return parse_po(ZH_HANS_PO.read_text(encoding="utf-8"))


def _copy_sources(target: Path) -> None:
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if path.suffix not in SOURCE_SUFFIXES or NOT_EXTRACTED.intersection(relative.parts) or not path.is_file():
            continue
        if "__pycache__" in relative.parts:
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)


def extracted_messages(workdir: Path) -> dict[tuple[str | None, str], Message]:
    """Run Django's ``makemessages`` for zh_Hans over a copy of the source in ``workdir``
    (its own locale/ as the only locale path) and return the template (.pot) it built."""
    _copy_sources(workdir)
    locale = workdir / "locale"
    (locale / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        with override_settings(LOCALE_PATHS=[locale]):
            call_command("makemessages", locale=["zh_Hans"], keep_pot=True, verbosity=0)
    finally:
        os.chdir(previous)
    return parse_po((locale / "django.pot").read_text(encoding="utf-8"))
