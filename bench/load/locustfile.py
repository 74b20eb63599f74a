"""Locust users for ``make load``: a CSM browsing their book, and an ingest client.

Configured by environment (set by bench/load/run.py): HOURGLASS_LOAD_SESSION (a logged-in
CSM's session cookie), HOURGLASS_LOAD_ACCOUNTS (their account ids, comma-separated),
HOURGLASS_LOAD_TOKEN and HOURGLASS_LOAD_EXTERNAL_IDS (for the ingest API).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, between, task

ACCOUNTS = [int(pk) for pk in os.environ.get("HOURGLASS_LOAD_ACCOUNTS", "").split(",") if pk]
EXTERNAL_IDS = [x for x in os.environ.get("HOURGLASS_LOAD_EXTERNAL_IDS", "").split(",") if x]
BATCH = int(os.environ.get("HOURGLASS_LOAD_BATCH", "1000"))
_counter = itertools.count()


class CsmUser(HttpUser):
    """The CSM pages: the accounts list (book page), an account page, My day."""

    weight = 4
    wait_time = between(0, 0.1)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", os.environ["HOURGLASS_LOAD_SESSION"])

    @task(3)
    def book_page(self) -> None:
        self.client.get("/accounts/", name="accounts list (book)")

    @task(2)
    def account_page(self) -> None:
        self.client.get(f"/accounts/{random.choice(ACCOUNTS)}/", name="account page")

    @task(2)
    def my_day(self) -> None:
        self.client.get("/my-day/", name="my day")


class BookPageUser(HttpUser):
    """Only the book page (the CSM's accounts list): ``run.py --only book``."""

    weight = 1  # chosen by name only (run.py names the classes of each mode)
    wait_time = between(0, 0.1)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", os.environ["HOURGLASS_LOAD_SESSION"])

    @task
    def book_page(self) -> None:
        self.client.get("/accounts/", name="accounts list (book)")


class IngestClient(HttpUser):
    """POST /api/v1/events/bulk with batches of fresh events (unique event ids)."""

    weight = 1
    wait_time = between(0, 0.05)
    _template: str | None = None

    @task
    def ingest(self) -> None:
        # The body is built once per user and made unique per request by one string
        # replace: the load generator shares the 2 cores with the server, so it must
        # not spend them serialising 10,000 events per request.
        if self._template is None:
            events = [
                {
                    "account_external_id": random.choice(EXTERNAL_IDS),
                    "occurred_at": "2026-06-10T09:30:00+00:00",
                    "event_name": "report.viewed",
                    "user_id": f"u{i % 50}",
                    "quantity": 1,
                    "event_id": f"load-RUN-{i}",
                }
                for i in range(BATCH)
            ]
            self._template = json.dumps(events)
        body = self._template.replace("load-RUN-", f"load-{uuid.uuid4().hex}-{next(_counter)}-")
        self.client.post(
            "/api/v1/events/bulk",
            data=body,
            headers={
                "Authorization": f"Token {os.environ['HOURGLASS_LOAD_TOKEN']}",
                "Content-Type": "application/json",
            },
            name=f"ingest ({BATCH} events)",
        )


SURVEY_TOKENS = [t for t in os.environ.get("HOURGLASS_LOAD_SURVEY_TOKENS", "").split(",") if t]


class SurveyPageUser(HttpUser):
    """The public survey answer page, as after a send (a score link, no login):
    ``run.py --only survey``, measured after ``LoginPageUser`` in the same run."""

    weight = 1
    wait_time = between(0, 0.01)

    @task
    def survey_page(self) -> None:
        token = random.choice(SURVEY_TOKENS)
        self.client.get(f"/outreach/r/{token}/?score={random.randint(0, 10)}", name="survey answer page")


class LoginPageUser(HttpUser):
    """The login page, anonymous: the baseline of ``run.py --only survey``."""

    weight = 1
    wait_time = between(0, 0.01)

    @task
    def login_page(self) -> None:
        self.client.get("/login/", name="login page (baseline)")
