"""What every app's demo module shares: the context passed along and a demo login.

Each app contributes a demo module with ``seed(ctx)``, ``reset()`` and ``present()``
(and optionally ``logins()``); ``workspace.demo`` runs them in dependency order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any


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
