"""Start the test OIDC provider: migrate its own SQLite file, register Hourglass as a
confidential client (authorization code, RS256), create its users, then serve HTTP.

    PROVIDER_DB=… PROVIDER_KEY=… PROVIDER_PORT=… PROVIDER_CLIENT_ID=… \
    PROVIDER_CLIENT_SECRET=… PROVIDER_USERS='[{"username": …, "password": …, "email": …}]' \
    python -m tests.sso.provider.serve
"""

from __future__ import annotations

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

REDIRECT_URIS = " ".join(f"http://{host}/oidc/callback/" for host in ("testserver", "localhost", "127.0.0.1"))


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def prepare() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    Application.objects.update_or_create(
        client_id=os.environ["PROVIDER_CLIENT_ID"],
        defaults={
            "name": "Hourglass",
            "client_secret": os.environ["PROVIDER_CLIENT_SECRET"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": REDIRECT_URIS,
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": False,
        },
    )
    User = get_user_model()
    for spec in json.loads(os.environ.get("PROVIDER_USERS", "[]")):
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.email = spec.get("email", "")
        user.first_name = spec.get("first_name", "")
        user.last_name = spec.get("last_name", "")
        user.set_password(spec["password"])
        user.save()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso.provider.settings")
    import django

    django.setup()
    prepare()
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", int(os.environ["PROVIDER_PORT"]), get_wsgi_application(), ThreadingServer, QuietHandler
    )
    print("provider ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
