"""The demo data set behind ``manage.py seed_demo`` and ``make run``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.demo import generate_accounts
from accounts.models import Account, Industry
from capacity.models import Role, Team
from capacity.services import person_create, team_create

DEMO_PASSWORD = "hourglass-demo"  # noqa: S105 - printed for the demo on purpose
DEMO_TEAM = "East team"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    role: str
    first_name: str
    last_name: str
    industries: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoPerson("admin", Role.ADMIN, "Ada", "Admin"),
    DemoPerson("manager", Role.MANAGER, "静", "陈"),
    DemoPerson("csm.li", Role.CSM, "伟", "李", (Industry.MANUFACTURING, Industry.ENERGY, Industry.LOGISTICS)),
    DemoPerson("csm.wang", Role.CSM, "芳", "王", (Industry.RETAIL, Industry.EDUCATION, Industry.HEALTHCARE)),
    DemoPerson(
        "csm.emma", Role.CSM, "Emma", "Clark", (Industry.INTERNET, Industry.FINANCE, Industry.PROFESSIONAL_SERVICES)
    ),
    DemoPerson("csm.zhao", Role.CSM, "磊", "赵", (Industry.REAL_ESTATE, Industry.PUBLIC_SECTOR, Industry.OTHER)),
)


@dataclass
class DemoResult:
    people: list[DemoPerson] = field(default_factory=list)
    accounts: int = 0
    password: str = DEMO_PASSWORD


class DemoDataPresent(Exception):
    """The database already holds data; seeding again would mix two data sets."""


def demo_data_present() -> bool:
    return Account.objects.exists() or get_user_model().objects.filter(username="admin").exists()


@transaction.atomic
def demo_reset() -> None:
    Account.objects.all().delete()
    Account.history.all().delete()
    get_user_model().objects.filter(username__in=[p.username for p in DEMO_PEOPLE]).delete()
    Team.objects.filter(name=DEMO_TEAM).delete()


@transaction.atomic
def demo_seed(*, seed: int = 42, accounts: int = 300) -> DemoResult:
    """Create the demo team and ``accounts`` customer accounts; same seed, same data."""
    if demo_data_present():
        raise DemoDataPresent("the database already has accounts or demo users")
    rng = random.Random(seed)
    users: dict[str, Any] = {}
    for person in DEMO_PEOPLE:
        users[person.username] = person_create(
            username=person.username,
            role=person.role,
            password=DEMO_PASSWORD,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@demo.hourglass.local",
            industries=person.industries,
        )
    team = team_create(name=DEMO_TEAM, lead=users["manager"])
    csms = [users[p.username] for p in DEMO_PEOPLE if p.role == Role.CSM]
    for csm in csms:
        csm.cs_profile.team = team
        csm.cs_profile.save(update_fields=["team"])
    owners_by_industry: dict[str, list[Any]] = {}
    for person in DEMO_PEOPLE:
        for industry in person.industries:
            owners_by_industry.setdefault(industry, []).append(users[person.username])
    rows = list(
        generate_accounts(
            rng=rng,
            count=accounts,
            owners_by_industry=owners_by_industry,
            fallback_owners=csms,
            today=timezone.localdate(),
        )
    )
    bulk_create_with_history(rows, Account, batch_size=1000, default_user=users["admin"])
    return DemoResult(people=list(DEMO_PEOPLE), accounts=len(rows))
