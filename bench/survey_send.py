"""Sending an NPS survey to many contacts: the decision and the queueing into the outbox.

    .venv/bin/python bench/survey_send.py [--contacts 50000] [--repeat 3] [--database-url URL]

On its own database (``var/bench/hourglass_bench_survey.sqlite3`` unless
``--database-url`` names another): ``--contacts`` stakeholders with an address, five per
account. Each lap, from a clean slate (no recipients, preferences or survey emails):

- *decide*: ``survey_send_to`` over every account (the rules: unsubscribed, bounced and
  the frequency cap read in one query; the recipient rows and the cap written in batches
  of ``HOURGLASS_SURVEY_BATCH_SIZE``);
- *queue*: ``recipients_dispatch`` claiming every recipient and putting its email in the
  outbox (rendered later, by the delivery workers), batch by batch.

Delivery itself is left out: it is limited by the SMTP server (docs/delivery.md).

Baseline, measured in the same run on the same database: a plain copy of the contacts
(``INSERT INTO a temporary table SELECT … FROM stakeholders``), the floor of any
set-based write of one row per contact; each figure is printed with its ratio to it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/survey_send.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import BrokerSpy, ForeignData, check_only_bench_accounts, database_info, measuring_settings, setup

PREFIX = "BSURVEY"
PER_ACCOUNT = 5


def _generate(contacts: int) -> None:
    from accounts.models import Account, Stakeholder

    accounts_needed = contacts // PER_ACCOUNT
    if Stakeholder.objects.filter(account__external_id__startswith=PREFIX).count() == accounts_needed * PER_ACCOUNT:
        return
    Account.objects.all().delete()
    accounts = Account.objects.bulk_create(
        [
            Account(name=f"Survey {i}", external_id=f"{PREFIX}-{i}", arr=Decimal(5000 + i % 200_000))
            for i in range(accounts_needed)
        ],
        batch_size=2000,
    )
    Stakeholder.objects.bulk_create(
        [
            Stakeholder(account=account, name=f"Contact {account.pk}.{n}", email=f"c{account.pk}.{n}@bench.test")
            for account in accounts
            for n in range(PER_ACCOUNT)
        ],
        batch_size=5000,
    )


def _clean() -> None:
    from core.models import OutboundEmail
    from outreach.models import ContactPreference, Survey, SurveyRecipient

    SurveyRecipient.objects.all().delete()
    ContactPreference.objects.all().delete()
    OutboundEmail.objects.filter(dedupe_key__startswith="survey:").delete()
    Survey.objects.all().delete()


def copy_baseline() -> float:
    """Seconds to copy every bench contact into a temporary table with one INSERT … SELECT."""
    from django.db import connection, transaction

    from accounts.models import Stakeholder

    stakeholders = connection.ops.quote_name(Stakeholder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TEMPORARY TABLE bench_copy (sid integer, aid integer, email varchar(254))")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO bench_copy SELECT id, account_id, LOWER(email) FROM {stakeholders} WHERE email <> ''"  # noqa: S608
        )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if setup(args.database_url, name="survey") is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _generate(args.contacts)

    from accounts.models import Account
    from outreach.models import Survey, SurveyRecipient
    from outreach.sending import recipients_dispatch, survey_send_to

    print(
        f"Engine: {database_info()['version']}; {args.contacts:,} contacts, {args.contacts // PER_ACCOUNT:,} accounts"
    )
    decide, queue, baseline = [], [], []
    with measuring_settings(HOURGLASS_SURVEY_QUIET_START=0, HOURGLASS_SURVEY_QUIET_END=0), BrokerSpy():
        for lap in range(args.repeat):
            _clean()
            baseline.append(copy_baseline())
            survey = Survey.objects.create(kind="nps", name=f"Bench {lap}")
            started = time.perf_counter()
            result = survey_send_to(survey=survey, accounts=Account.objects.all(), audience={})
            decided = time.perf_counter()
            queued = recipients_dispatch(max_batches=10_000)
            done = time.perf_counter()
            assert result.chosen == queued == SurveyRecipient.objects.count() == args.contacts, (result, queued)
            decide.append(decided - started)
            queue.append(done - decided)
            print(
                f"lap {lap + 1}: decide {decide[-1]:.2f} s, queue {queue[-1]:.2f} s, total {done - started:.2f} s; "
                f"baseline copy {baseline[-1]:.3f} s"
            )
    base = statistics.median(baseline)
    total = statistics.median([a + b for a, b in zip(decide, queue, strict=True)])
    print(f"baseline (plain INSERT … SELECT copy of the contacts): {base:.3f} s")
    print(f"median decide: {statistics.median(decide):.2f} s (x{statistics.median(decide) / base:.1f} the baseline)")
    print(f"median queue:  {statistics.median(queue):.2f} s (x{statistics.median(queue) / base:.1f} the baseline)")
    print(f"median total:  {total:.2f} s (x{total / base:.1f} the baseline; goal 10 s for 50,000)")
    print(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())} on {os.cpu_count()} cores")
    _clean()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
