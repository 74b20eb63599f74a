"""Deterministic, scalable bench data: CS teams, CSMs and customer accounts.

    .venv/bin/python bench/generate.py --accounts 50000 --csms 25 --seed 42 [--book 2000] [--reset]

Creates ``ceil((csms + 1) / team_size)`` teams, each led by a manager
(``bench.manager.NN``), ``--csms`` specialised CSMs (``bench.csm.NNN``) and the CSM the
harness logs in as, ``bench.csm``, who owns exactly ``--book`` of the ``--accounts``
accounts (a random sample over every industry and segment). The other accounts go to
the specialised CSMs by industry (about 3 % are left unassigned, as in the demo data).

Same arguments, same data: names, ARR, industries, owners and go-live dates depend only
on the seed and on ``--today`` (a fixed date by default). Accounts are inserted with
``bulk_create`` and get no history rows. Bench users have no usable password (the
harness uses ``force_login``).

By default this works on the bench's own SQLite file (``var/bench/``), like ``run.py``;
``--database-url`` points it elsewhere.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/generate.py``: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.bootstrap import configure

BENCH_USERNAME = "bench.csm"
USERNAME_PREFIX = "bench."
TEAM_PREFIX = "Bench team "
EXTERNAL_ID_PREFIX = "BENCH"  # + the seed, e.g. BENCH42-000001
DEFAULT_TODAY = date(2025, 7, 1)
BATCH_SIZE = 5000


@dataclass(frozen=True)
class DataSetSpec:
    accounts: int = 50_000
    book: int = 2_000
    csms: int = 25
    team_size: int = 8
    seed: int = 42
    today: date = DEFAULT_TODAY

    @property
    def external_id_prefix(self) -> str:
        return f"{EXTERNAL_ID_PREFIX}{self.seed}"

    @property
    def teams(self) -> int:
        return math.ceil((self.csms + 1) / self.team_size)

    def validate(self) -> None:
        if self.accounts < 1:
            raise ValueError("--accounts must be at least 1")
        if not 0 <= self.book <= self.accounts:
            raise ValueError("--book must be between 0 and --accounts")
        if self.csms < 0:
            raise ValueError("--csms must not be negative")
        if self.team_size < 1:
            raise ValueError("--team-size must be at least 1")

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "book": self.book,
            "csms": self.csms,
            "team_size": self.team_size,
            "teams": self.teams,
            "seed": self.seed,
            "today": self.today.isoformat(),
        }


@dataclass
class GenerateResult:
    accounts: int = 0
    users: int = 0
    teams: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class ForeignDataPresent(Exception):
    """The database holds accounts the bench did not make; never wipe those silently."""


def bench_user() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=BENCH_USERNAME)


def dataset_present(spec: DataSetSpec) -> bool:
    """Does the database hold exactly the data set ``spec`` describes (by its counts)?"""
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from org.models import CsProfile, Role, Team

    accounts = Account.objects.all()
    if accounts.count() != spec.accounts:
        return False
    if accounts.filter(external_id__startswith=f"{spec.external_id_prefix}-").count() != spec.accounts:
        return False
    if not get_user_model().objects.filter(username=BENCH_USERNAME).exists():
        return False
    if accounts.filter(owner__username=BENCH_USERNAME).count() != spec.book:
        return False
    bench_profiles = CsProfile.objects.filter(user__username__startswith=USERNAME_PREFIX)
    return (
        bench_profiles.filter(role=Role.CSM).count() == spec.csms + 1
        and bench_profiles.filter(role=Role.MANAGER).count() == spec.teams
        and Team.objects.filter(name__startswith=TEAM_PREFIX).count() == spec.teams
    )


def foreign_accounts() -> int:
    """Accounts not made by this generator (any seed)."""
    from accounts.models import Account

    return Account.objects.exclude(external_id__startswith=EXTERNAL_ID_PREFIX).count()


def bench_data_present() -> bool:
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from org.models import Team

    return (
        Account.objects.exists()
        or get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).exists()
        or Team.objects.filter(name__startswith=TEAM_PREFIX).exists()
    )


def reset() -> None:
    """Delete every account (and its history) and every bench user and team."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test.utils import override_settings

    from accounts.models import Account
    from org.models import CsProfile, Team

    # simple_history would otherwise write a "deleted" history row per account.
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        Account.objects.all().delete()
        Account.history.all().delete()
        teams = Team.objects.filter(name__startswith=TEAM_PREFIX)
        users = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX)
        # The history person_create/team_create wrote for bench people goes with them.
        Team.history.filter(id__in=list(teams.values_list("pk", flat=True))).delete()
        CsProfile.history.filter(user_id__in=list(users.values_list("pk", flat=True))).delete()
        teams.delete()
        users.delete()


def _csm_industries(index: int, industries: Sequence[str]) -> list[str]:
    """Three industries per CSM, spread so every industry has about as many owners."""
    step = max(1, len(industries) // 3)
    return sorted({industries[(index + k * step) % len(industries)] for k in range(3)})


def generate(spec: DataSetSpec, *, log: Callable[[str], None] = print) -> GenerateResult:
    """Create the data set. The database must hold no accounts and no bench users."""
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from accounts.demo import generate_accounts
    from accounts.models import Account, Industry
    from org.models import Role
    from org.services import person_create, team_create

    spec.validate()
    if bench_data_present():
        raise ForeignDataPresent("the database already holds accounts or bench users; reset first")
    result = GenerateResult()
    started = time.perf_counter()
    rng = random.Random(spec.seed)
    industries = list(Industry.values)
    # DEBUG would keep the SQL of every (5,000-row) insert in memory.
    with override_settings(DEBUG=False), transaction.atomic():
        teams = []
        for number in range(1, spec.teams + 1):
            manager = person_create(
                username=f"{USERNAME_PREFIX}manager.{number:02d}",
                role=Role.MANAGER,
                first_name="Bench",
                last_name=f"Manager {number:02d}",
            )
            teams.append(team_create(name=f"{TEAM_PREFIX}{number:02d}", lead=manager))
        bench_csm: Any = person_create(
            username=BENCH_USERNAME, role=Role.CSM, first_name="Bench", last_name="CSM", team=teams[0]
        )
        csms: list[Any] = []
        owners_by_industry: dict[str, list[Any]] = {}
        for index in range(spec.csms):
            specialities = _csm_industries(index, industries)
            csm = person_create(
                username=f"{USERNAME_PREFIX}csm.{index + 1:03d}",
                role=Role.CSM,
                first_name="CSM",
                last_name=f"{index + 1:03d}",
                # bench.csm is member 0 of team 1; the others follow in order.
                team=teams[(index + 1) // spec.team_size],
                industries=specialities,
            )
            csms.append(csm)
            for industry in specialities:
                owners_by_industry.setdefault(industry, []).append(csm)
        result.users = spec.teams + 1 + spec.csms
        result.teams = spec.teams
        result.seconds["people"] = time.perf_counter() - started

        mark = time.perf_counter()
        rows = list(
            generate_accounts(
                rng=rng,
                count=spec.accounts,
                owners_by_industry=owners_by_industry,
                fallback_owners=csms,
                today=spec.today,
                external_id_prefix=spec.external_id_prefix,
            )
        )
        for index in rng.sample(range(spec.accounts), spec.book):
            rows[index].owner = bench_csm
        result.seconds["build"] = time.perf_counter() - mark

        mark = time.perf_counter()
        for start in range(0, len(rows), BATCH_SIZE):
            Account.objects.bulk_create(rows[start : start + BATCH_SIZE], batch_size=BATCH_SIZE)
            log(f"  inserted {min(start + BATCH_SIZE, len(rows)):>9,} / {len(rows):,} accounts")
        result.accounts = len(rows)
        result.seconds["insert"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum would have done by the time anyone looks at the data: planner
        # statistics and a visibility map. Keeps PostgreSQL plans reproducible.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    result.seconds["analyze"] = time.perf_counter() - mark
    result.seconds["total"] = time.perf_counter() - started
    return result


def ensure_dataset(spec: DataSetSpec, *, force_reset: bool = False, log: Callable[[str], None] = print) -> bool:
    """Make the database hold ``spec``'s data set; ``True`` if it had to be generated.

    Bench data of another shape is replaced. Accounts that the bench did not make are
    only deleted with ``force_reset``.
    """
    if not force_reset and dataset_present(spec):
        return False
    if not force_reset:
        foreign = foreign_accounts()
        if foreign:
            raise ForeignDataPresent(
                f"the database holds {foreign:,} accounts that are not bench data; "
                "pass --reset to delete them (or point the bench at another database)"
            )
    log("Resetting bench data ...")
    reset()
    log(f"Generating {spec.accounts:,} accounts ({spec.book:,} for {BENCH_USERNAME}), {spec.csms} CSMs ...")
    result = generate(spec, log=log)
    log(
        f"Generated {result.accounts:,} accounts, {result.users} users, {result.teams} teams "
        f"in {result.seconds['total']:.1f} s"
    )
    return True


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=DataSetSpec.accounts, help="total accounts (50000)")
    parser.add_argument("--book", type=int, default=DataSetSpec.book, help="accounts owned by bench.csm (2000)")
    parser.add_argument("--csms", type=int, default=DataSetSpec.csms, help="CSMs besides bench.csm (25)")
    parser.add_argument("--team-size", type=int, default=DataSetSpec.team_size, help="CSMs per team (8)")
    parser.add_argument("--seed", type=int, default=DataSetSpec.seed, help="random seed (42)")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=DEFAULT_TODAY, help="date the data is generated around"
    )
    parser.add_argument("--reset", action="store_true", help="delete all accounts and bench users first")
    parser.add_argument("--database-url", help="database to fill (default: the bench SQLite file in var/bench/)")
    parser.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = DataSetSpec(
        accounts=args.accounts,
        book=args.book,
        csms=args.csms,
        team_size=args.team_size,
        seed=args.seed,
        today=args.today,
    )
    try:
        spec.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    database = configure(args.database_url)
    print(f"Database: {database.display}")
    if not args.no_migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    if not args.reset and dataset_present(spec):
        print("This data set is already present; nothing to do (use --reset to rebuild it).")
        return 0
    if not args.reset and bench_data_present():
        print("error: the database already holds other data; use --reset to replace it", file=sys.stderr)
        return 1
    ensure_dataset(spec, force_reset=args.reset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
