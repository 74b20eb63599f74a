"""Import usage events from a CSV or NDJSON file, all or nothing, as a given user."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from health.services import IngestValidationError, events_ingest
from health.validation import FIELDS, Unparsable, events_validate

Record = tuple[int, Any]  # (row or line number in the file, parsed event)


class _Rollback(Exception):
    """Leaves the import's transaction so that nothing is stored."""


def _csv_records(handle: io.TextIOBase) -> Iterator[Record]:
    reader = csv.DictReader(handle)
    unknown = sorted(set(reader.fieldnames or []) - FIELDS)
    if unknown:
        raise CommandError(f"row 1: unknown column(s): {', '.join(unknown)}")
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        event: dict[str, Any] = {key: value for key, value in row.items() if key is not None and value != ""}
        if None in row:
            yield number, Unparsable(_("More cells than columns."))
            continue
        if "properties" in event:
            try:
                event["properties"] = json.loads(event["properties"])
            except json.JSONDecodeError:
                event["properties"] = Unparsable(_("Not valid JSON."))
        yield number, event


def _ndjson_records(handle: io.TextIOBase) -> Iterator[Record]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError:
            yield number, Unparsable(_("Not valid JSON."))


class Command(BaseCommand):
    help = (
        "Import usage events from FILE (.csv with a header row, or .ndjson / .jsonl), in chunks, "
        "with the API's validation: any invalid row and nothing is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="Import as this user (their account scope).")
        parser.add_argument("--format", choices=["csv", "ndjson"], help="Default: from the file extension.")
        parser.add_argument("--chunk-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}") from exc
        path: Path = options["file"]
        fmt = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "ndjson")
        self.label = "row" if fmt == "csv" else "line"
        chunk_size = max(1, options["chunk_size"])
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        stored = duplicates = 0
        errors: list[str] = []
        with handle:
            records = _csv_records(handle) if fmt == "csv" else _ndjson_records(handle)
            try:
                # One transaction for the whole file: a bad row in the last chunk
                # undoes the earlier chunks too (and their rollup tasks never leave).
                with transaction.atomic():
                    chunk: list[Record] = []
                    for record in records:
                        chunk.append(record)
                        if len(chunk) >= chunk_size:
                            stored, duplicates = self._chunk(actor, chunk, errors, stored, duplicates)
                            chunk = []
                    if chunk:
                        stored, duplicates = self._chunk(actor, chunk, errors, stored, duplicates)
                    if errors:
                        raise _Rollback
            except _Rollback:
                for line in errors:
                    self.stderr.write(line)
                raise CommandError(f"{len(errors)} error(s); nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Stored {stored} event(s), {duplicates} duplicate(s) ignored."))

    def _chunk(
        self, actor: Any, chunk: list[Record], errors: list[str], stored: int, duplicates: int
    ) -> tuple[int, int]:
        numbers = [number for number, _event in chunk]
        events = [event for _number, event in chunk]
        if errors:
            # Something already failed: only validate the rest, to report every error.
            _valid, found = events_validate(actor=actor, events=events)
        else:
            try:
                result = events_ingest(actor=actor, events=events)
            except IngestValidationError as exc:
                found = exc.errors
            else:
                return stored + result.stored, duplicates + result.duplicates
        for error in found:
            column = error["field"] or "-"
            errors.append(f"{self.label} {numbers[error['index']]}, column {column}: {error['reason']}")
        return stored, duplicates
