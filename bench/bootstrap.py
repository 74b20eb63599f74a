"""Point Django at the bench database and set it up, before anything imports a model.

The bench never uses the developer's database by accident: unless a URL is given
explicitly, it works on its own SQLite file in ``<var>/bench/`` (``<var>`` being
``HOURGLASS_VAR_DIR`` or ``var/``), and it ignores any ``DATABASE_URL`` that happens
to be in the environment or in ``.env``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_SQLITE_NAME = "hourglass_bench.sqlite3"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    display: str  # the URL without its password, for printing and result files
    var_dir: Path


def bench_var_dir() -> Path:
    base = os.environ.get("HOURGLASS_VAR_DIR") or str(ROOT / "var")
    return Path(base).resolve() / "bench"


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def configure(database_url: str | None = None) -> BenchDatabase:
    """Set the environment for ``config.settings`` and run ``django.setup()``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    var_dir = bench_var_dir()
    # STATIC_ROOT follows the var folder; WhiteNoise warns when it does not exist.
    (var_dir / "staticfiles").mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{var_dir / BENCH_SQLITE_NAME}"
    # Settings create their var folders (broker queue, ...) on import: keep those out
    # of the developer's var/ too.
    os.environ["HOURGLASS_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The benches run no worker: what they publish goes to the file-system broker in the
    # bench folder (``BrokerSpy`` removes it), never to a shared Redis whose workers
    # would run it against their own database. The cache stays where it was configured.
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith(("redis://", "rediss://")):
        os.environ.setdefault("CACHE_URL", broker)
    os.environ["CELERY_BROKER_URL"] = "filesystem://"

    import django

    django.setup()
    return BenchDatabase(url=url, display=redact(url), var_dir=var_dir)
