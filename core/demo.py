"""The demo data set behind ``manage.py seed_demo`` and ``make run``.

Each app contributes a demo module (listed in ``HOURGLASS_DEMO_MODULES``, in
dependency order) with ``seed(ctx)``, ``reset()`` and ``present()``; later issues add
theirs. ``core`` imports no app: the modules are loaded by name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone


@dataclass
class DemoContext:
    rng: random.Random
    today: date
    accounts: int
    users: dict[str, Any] = field(default_factory=dict)
    owners_by_industry: dict[str, list[Any]] = field(default_factory=dict)
    # What one module leaves for the next (e.g. the accounts it created).
    shared: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


class DemoDataPresent(Exception):
    """The database already holds data; seeding again would mix two data sets."""


def demo_modules() -> list[ModuleType]:
    return [import_module(path) for path in settings.HOURGLASS_DEMO_MODULES]


def demo_data_present() -> bool:
    return any(module.present() for module in demo_modules())


@transaction.atomic
def demo_reset() -> None:
    for module in reversed(demo_modules()):
        module.reset()


@transaction.atomic
def demo_seed(*, seed: int = 42, accounts: int = 300) -> DemoContext:
    """Create the whole demo data set; the same seed gives the same data."""
    if demo_data_present():
        raise DemoDataPresent("the database already has accounts or demo users")
    ctx = DemoContext(rng=random.Random(seed), today=timezone.localdate(), accounts=accounts)
    for module in demo_modules():
        module.seed(ctx)
    return ctx


def demo_logins() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    for module in demo_modules():
        logins.extend(getattr(module, "logins", list)())
    return logins
