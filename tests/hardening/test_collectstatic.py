"""Production mode serves hashed, compressed static files: ``collectstatic`` must succeed.

With ``DEBUG=false`` the storage is WhiteNoise's manifest storage, which rewrites every
URL a CSS or JS file references — source-map comments included — and refuses to finish
when one points at a file we do not ship. Vendored libraries are kept without them.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_the_production_storage_succeeds(tmp_path: Path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        # The manifest part is what fails on a missing reference; WhiteNoise's compression
        # on top of it only adds minutes here.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/chart.umd.min.js", "vendor/bootstrap.min.css", "vendor/htmx.min.js", "js/charts.js"):
        hashed = manifest[name]
        assert hashed != name and (tmp_path / hashed).exists(), name
