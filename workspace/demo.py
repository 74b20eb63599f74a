"""The demo data set behind ``manage.py seed_demo`` and ``make run``: every app's demo
module, run in dependency order (each has ``seed(ctx)``, ``reset()``, ``present()``)."""

from __future__ import annotations

import random
from types import ModuleType

from django.db import transaction
from django.utils import timezone

from accounts import demo as accounts_demo
from capacity import demo as capacity_demo
from capacity import demo_time as capacity_demo_time
from core.demo import DemoContext, DemoDataPresent, DemoLogin
from health import demo as health_demo
from knowledge import demo as knowledge_demo
from outreach import demo as outreach_demo
from playbooks import demo as playbooks_demo
from renewals import demo as renewals_demo
from renewals.lapsed import renewals_mark_lapsed

from .segments import demo as segments_demo

# People first, time entries last (they point at accounts and activity types).
DEMO_MODULES: list[ModuleType] = [
    capacity_demo,
    accounts_demo,
    renewals_demo,
    health_demo,
    playbooks_demo,
    knowledge_demo,
    outreach_demo,
    segments_demo,
    capacity_demo_time,
]


def demo_data_present() -> bool:
    return any(module.present() for module in DEMO_MODULES)


@transaction.atomic
def demo_reset() -> None:
    for module in reversed(DEMO_MODULES):
        module.reset()


@transaction.atomic
def demo_seed(*, seed: int = 42, accounts: int = 300) -> DemoContext:
    """Create the whole demo data set; the same seed gives the same data."""
    if demo_data_present():
        raise DemoDataPresent("the database already has accounts or demo users")
    ctx = DemoContext(rng=random.Random(seed), today=timezone.localdate(), accounts=accounts)
    for module in DEMO_MODULES:
        module.seed(ctx)
    # The daily sweep, as beat runs it: the demo's renewals past their date and unclosed lapse.
    lapsed = renewals_mark_lapsed(today=ctx.today)
    ctx.summary.append(f"{lapsed.lapsed} renewals lapsed")
    return ctx


def demo_logins() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    for module in DEMO_MODULES:
        logins.extend(getattr(module, "logins", list)())
    return logins
