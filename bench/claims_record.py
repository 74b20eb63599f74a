"""Recording a reminder batch's claims: the one ``UPDATE … FROM (VALUES …)`` against ``bulk_update``.

    .venv/bin/python bench/claims_record.py [--claims 200] [--repeat 7] [--database-url URL]

On its own database (``var/bench/hourglass_bench_claims.sqlite3`` unless
``--database-url`` names another): one account, contract and renewal, ``--claims``
claimed reminders and as many outbox emails; then, ``--repeat`` times each, alternating,
the outcome of every claim (its email, recipient, queued time) written by
``renewals.reminders.batch.claims_record`` and by ``QuerySet.bulk_update`` on the
same model instances. Prints the median and best time of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/claims_record.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import ForeignData, check_only_bench_accounts, database_info, setup

PREFIX = "BCLAIMS"
FIELDS = ["queued_at", "email", "recipient", "recipient_email", "skipped_reason"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=200, help="claims per batch (200, the default batch size)")
    parser.add_argument("--repeat", type=int, default=7, help="timings of each way (7)")
    parser.add_argument("--database-url", help="database (default: var/bench/hourglass_bench_claims.sqlite3)")
    args = parser.parse_args()
    if setup(args.database_url, name="claims") is None:
        return 1
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import Account
    from core.models import OutboundEmail
    from renewals.models import RenewalOpportunity, RenewalReminder
    from renewals.reminders.batch import claims_record
    from renewals.services import contract_create

    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    user, _ = get_user_model().objects.get_or_create(username="bench.claims", defaults={"email": "c@example.com"})
    account = Account.objects.filter(external_id=f"{PREFIX}-1").first()
    if account is None:
        account = Account.objects.create(name="Bench claims", external_id=f"{PREFIX}-1", owner=user)
        contract_create(
            actor=None,
            account=account,
            start_date=date(2025, 1, 1),
            end_date=date(2025, 12, 31),
            arr=Decimal("1000"),
            products=["CRM"],
        )
    renewal = RenewalOpportunity.objects.get(account=account)
    now = timezone.now()
    RenewalReminder.objects.filter(renewal=renewal).delete()
    OutboundEmail.objects.filter(dedupe_key__startswith=PREFIX).delete()
    emails = OutboundEmail.objects.bulk_create(
        [OutboundEmail(dedupe_key=f"{PREFIX}-{i}", to=["c@example.com"], subject="s") for i in range(args.claims)]
    )
    RenewalReminder.objects.bulk_create(
        [
            RenewalReminder(
                renewal=renewal,
                threshold_days=i,
                due_date=now.date() + timedelta(days=30),
                days_left=30,
                claim_token="bench",  # noqa: S106 - a claim marker, not a secret
                claimed_at=now,
            )
            for i in range(args.claims)
        ]
    )
    laps: dict[str, list[float]] = {"claims_record": [], "bulk_update": []}
    for _ in range(args.repeat):
        for way, lap in laps.items():
            claims = list(RenewalReminder.objects.filter(renewal=renewal).only("threshold_days").order_by("pk"))
            for claim, email in zip(claims, emails, strict=True):
                claim.queued_at, claim.email, claim.recipient_id = now, email, user.pk
                claim.recipient_email, claim.skipped_reason = "c@example.com", ""
            started = time.perf_counter()
            if way == "claims_record":
                outcomes = [(c.pk, c.email_id, c.recipient_id, c.recipient_email, "") for c in claims]
                claims_record(outcomes, queued_at=now)
            else:
                RenewalReminder.objects.bulk_update(claims, FIELDS)
            lap.append(time.perf_counter() - started)
    print(f"Engine: {database_info()['version']}; {args.claims} claims, {args.repeat} timings each")
    for way, lap in laps.items():
        print(f"  {way:<14} median {statistics.median(lap) * 1000:8.1f} ms   best {min(lap) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
