"""The WSGI application (gunicorn ``config.wsgi``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# What start-up loaded (Django, the apps, URL patterns, templates) lives as long as the
# process: moved out of the collector's reach, full collections during large ingest
# requests no longer walk it each time (Python's docs recommend this after start-up).
gc.freeze()
