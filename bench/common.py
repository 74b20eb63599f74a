"""Helpers shared by the throughput benchmarks (``ingest.py``, ``scoring.py``, ``import_csv.py``).

Each of those scripts owns its database: by default a SQLite file of its own in
``var/bench/`` (``hourglass_bench_<name>.sqlite3``), never the accounts-list bench's
file, or whatever ``--database-url`` names (give each script its own PostgreSQL
database). Destructive steps (emptying tables) only run when every account in the
database was made by that script, recognised by its external-id prefix.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bootstrap import ROOT, BenchDatabase, bench_var_dir, configure

RESULTS_DIR = ROOT / "bench" / "results"


class ForeignData(Exception):
    """The database holds data this bench did not make: never wipe it."""


def sqlite_url(name: str) -> str:
    return f"sqlite:///{bench_var_dir() / f'hourglass_bench_{name}.sqlite3'}"


def setup(database_url: str | None, *, name: str) -> BenchDatabase | None:
    """``django.setup()`` on the script's database and migrate; None (after a message) on failure."""
    database = configure(database_url or sqlite_url(name))
    from django.core.management import call_command
    from django.db import OperationalError

    print(f"Database: {database.display}")
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except OperationalError as exc:
        print(f"error: cannot use the database: {exc}".rstrip(), file=sys.stderr)
        if "does not exist" in str(exc):
            print(f"  create it first, e.g.: createdb -h 127.0.0.1 -U postgres hourglass_bench_{name}", file=sys.stderr)
        return None
    return database


def check_only_bench_accounts(prefix: str) -> None:
    """Refuse to go on when the database holds accounts whose external id lacks ``prefix``."""
    from accounts.models import Account

    foreign = Account.objects.exclude(external_id__startswith=prefix).count()
    if foreign:
        raise ForeignData(
            f"the database holds {foreign:,} accounts this bench did not make (external id not starting with "
            f"{prefix!r}); point --database-url at a database of its own"
        )


def empty_tables(*models: Any, cascade: bool = False) -> None:
    """Delete every row of the models' tables (TRUNCATE on PostgreSQL), no signals, no history.

    ``cascade`` (PostgreSQL): also empty every table with a foreign key to them.
    """
    from django.db import connection

    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}{' CASCADE' if cascade else ''}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names come from the models


def vacuum_analyze(*models: Any) -> None:
    """PostgreSQL: what autovacuum would do before anyone reads the data (stable plans)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if models:
            tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
            cursor.execute(f"VACUUM ANALYZE {tables}")
        else:
            cursor.execute("VACUUM ANALYZE")


def database_info() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
        elif connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0].split(' ')[0]}"
        else:
            version = connection.display_name
    return {"vendor": connection.vendor, "engine": connection.settings_dict["ENGINE"], "version": version}


def environment() -> dict[str, Any]:
    from django import get_version

    return {
        "python": platform.python_version(),
        "django": get_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


class BrokerSpy:
    """Counts the Celery messages published while measuring and, with the file-system
    broker (the default), removes the ones this run wrote afterwards: nobody consumes
    them in a bench, and they would pile up in ``var/bench/broker/``."""

    def __init__(self) -> None:
        from django.conf import settings

        self.published: dict[str, int] = {}
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
        folder = options.get("data_folder_in")
        self.folder = Path(str(folder)) if folder else None
        self.before = self._files()

    def _files(self) -> set[Path]:
        if self.folder is None or not self.folder.is_dir():
            return set()
        return set(self.folder.iterdir())

    def __enter__(self) -> BrokerSpy:
        from celery.signals import after_task_publish

        after_task_publish.connect(self._count, weak=False)
        return self

    def _count(self, sender: str | None = None, **kwargs: Any) -> None:
        name = str(sender)
        self.published[name] = self.published.get(name, 0) + 1

    def __exit__(self, *exc: object) -> None:
        from celery.signals import after_task_publish

        after_task_publish.disconnect(self._count)
        for path in self._files() - self.before:
            path.unlink(missing_ok=True)


@contextmanager
def measuring_settings(**extra: Any) -> Iterator[None]:
    """DEBUG off (no SQL kept in memory) plus ``extra`` overrides, while measuring."""
    from django.test.utils import override_settings

    with override_settings(DEBUG=False, **extra):
        yield


@dataclass
class Stopwatch:
    """Wall-clock samples of repeated steps (e.g. one per batch)."""

    samples: list[float] = field(default_factory=list)

    @contextmanager
    def lap(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.samples.append(time.perf_counter() - started)

    @property
    def total(self) -> float:
        return sum(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else 0.0

    @property
    def maximum(self) -> float:
        return max(self.samples) if self.samples else 0.0


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def render_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(row[0].ljust(widths[0]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row)))

    out = [line(cells[0]), "-" * len(line(cells[0]))]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_results(kind: str, payload: dict[str, Any]) -> Path:
    """``bench/results/<kind>/<timestamp>.json`` (a folder per benchmark: ``summarize.py``
    reads only the accounts-list results directly in ``results/``)."""
    folder = RESULTS_DIR / kind
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}.json"
    suffix = 1
    while path.exists():
        suffix += 1
        path = folder / f"{stamp}-{suffix}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
