"""A tech-touch program step over many enrolled contacts: enrolment, then step 1.

    .venv/bin/python bench/program_step.py [--contacts 50000] [--repeat 3] [--database-url URL]

On its own database (``var/bench/hourglass_bench_program.sqlite3`` unless
``--database-url`` names another): ``--contacts`` stakeholders with an address, five per
account, a fifth of the accounts with an owner. Each lap, from a clean slate (no
program, enrolments, step runs or program emails), a running program of the demo's shape
(an email with merge fields and a link, a week's wait, a branch on health, a task, an exit):

- *enrol*: ``program_enrol`` (every contact of the audience);
- *step 1*: ``program_steps_run`` until nothing is due: every contact's email claimed,
  its step run written and its email queued in the outbox (rendered later, by the
  delivery workers), then the wait.

Baseline, measured in the same run on the same database: a plain copy of the contacts
(``INSERT INTO a temporary table SELECT … FROM stakeholders``), the floor of any
set-based write of one row per contact; each figure is printed with its ratio to it.
Delivery is left out: it is limited by the SMTP server (docs/delivery.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/program_step.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import BrokerSpy, ForeignData, check_only_bench_accounts, database_info, measuring_settings, setup
from bench.survey_send import copy_baseline

PREFIX = "BPROGRAM"
PER_ACCOUNT = 5
STEPS = [
    {
        "position": 1,
        "kind": "email",
        "subject_en": "Welcome to {account_name}'s onboarding, {contact_name}",
        "body_en": "Hello {contact_name},\n\n{account_name} logged {events_30d} events. {csm_name}",
        "subject_zh_hans": "欢迎，{contact_name}",
        "body_zh_hans": "您好 {contact_name}，\n\n{account_name} 本月有 {events_30d} 次使用。{csm_name}",
        "link_url": "https://docs.example.com/start",
        "link_text_en": "Get started",
    },
    {"position": 2, "kind": "wait", "wait_days": 7},
    {"position": 3, "kind": "branch", "condition": "health", "condition_colours": ["red"], "goto_position": 5},
    {"position": 4, "kind": "exit"},
    {"position": 5, "kind": "task", "task_title": "Call {contact_name} at {account_name}", "task_due_days": 2},
]


def _generate(contacts: int) -> None:
    from django.contrib.auth.models import User

    from accounts.models import Account, Stakeholder

    accounts_needed = contacts // PER_ACCOUNT
    if Stakeholder.objects.filter(account__external_id__startswith=PREFIX).count() == accounts_needed * PER_ACCOUNT:
        return
    Account.objects.all().delete()
    owner, _created = User.objects.get_or_create(
        username="bench.csm", defaults={"first_name": "Bench", "last_name": "CSM"}
    )
    accounts = Account.objects.bulk_create(
        [
            Account(
                name=f"Program {i}",
                external_id=f"{PREFIX}-{i}",
                arr=Decimal(5000 + i % 20_000),
                owner=owner if i % 5 == 0 else None,
            )
            for i in range(accounts_needed)
        ],
        batch_size=2000,
    )
    Stakeholder.objects.bulk_create(
        [
            Stakeholder(account=account, name=f"Contact {account.pk}.{n}", email=f"p{account.pk}.{n}@bench.test")
            for account in accounts
            for n in range(PER_ACCOUNT)
        ],
        batch_size=5000,
    )


def _clean() -> None:
    from core.models import OutboundEmail
    from outreach.models import ContactPreference, Program

    Program.objects.all().delete()  # cascades to steps, enrolments and step runs
    ContactPreference.objects.all().delete()
    OutboundEmail.objects.filter(dedupe_key__startswith="program:").delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if setup(args.database_url, name="program") is None:
        return 1
    try:
        check_only_bench_accounts(PREFIX)
    except ForeignData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _generate(args.contacts)

    from django.utils import timezone

    from outreach.models import Enrollment, Program, ProgramStatus, ProgramStep, StepRun
    from outreach.programs.enrol import program_enrol
    from outreach.programs.runner import program_steps_run

    print(
        f"Engine: {database_info()['version']}; {args.contacts:,} contacts, {args.contacts // PER_ACCOUNT:,} accounts"
    )
    enrol, step, baseline = [], [], []
    with measuring_settings(HOURGLASS_SURVEY_QUIET_START=0, HOURGLASS_SURVEY_QUIET_END=0), BrokerSpy():
        for lap in range(args.repeat):
            _clean()
            baseline.append(copy_baseline())
            program = Program.objects.create(name=f"Bench {lap}", status=ProgramStatus.ACTIVE)
            ProgramStep.objects.bulk_create([ProgramStep(program=program, **fields) for fields in STEPS])
            now = timezone.now()
            started = time.perf_counter()
            enrolled = program_enrol(program=program, now=now)
            enrolled_at = time.perf_counter()
            advanced = program_steps_run(now=now, max_batches=100_000)
            done = time.perf_counter()
            emails = StepRun.objects.filter(outcome="sent", email_message__isnull=False).count()
            waiting = Enrollment.objects.filter(position=3).count()
            assert enrolled == advanced == emails == waiting == args.contacts, (enrolled, advanced, emails, waiting)
            enrol.append(enrolled_at - started)
            step.append(done - enrolled_at)
            print(
                f"lap {lap + 1}: enrol {enrol[-1]:.2f} s, step 1 {step[-1]:.2f} s; baseline copy {baseline[-1]:.3f} s"
            )
    base = statistics.median(baseline)
    print(f"baseline (plain INSERT … SELECT copy of the contacts): {base:.3f} s")
    print(f"median enrol:  {statistics.median(enrol):.2f} s (x{statistics.median(enrol) / base:.1f} the baseline)")
    print(
        f"median step 1: {statistics.median(step):.2f} s (x{statistics.median(step) / base:.1f} the baseline; "
        f"goal 10 s for 50,000)"
    )
    print(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())} on {os.cpu_count()} cores")
    _clean()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
