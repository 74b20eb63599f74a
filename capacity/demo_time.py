"""Demo time entries: eight weeks of logged work for the demo CSMs.

Runs after ``accounts.demo`` (last in ``workspace.demo.DEMO_MODULES``): entries point at
the accounts each CSM owns. Touchpoint durations come from the accounts demo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from org.models import Role

from .demo import DEMO_PEOPLE
from .models import ActivityType, TimeEntry
from .services import capacity_defaults_ensure

WEEKS = 8
# Activity code, share of entries, typical minutes; account work first, then internal.
MIX: list[tuple[str, int, tuple[int, ...]]] = [
    ("handover", 4, (60, 90, 120)),
    ("first_contact", 6, (30, 45, 60)),
    ("visit", 8, (120, 180, 240)),
    ("liaison", 12, (30, 45, 60, 90)),
    ("data_analysis", 10, (60, 90, 120)),
    ("training", 6, (60, 90, 120)),
    ("reporting", 6, (45, 60, 90)),
    ("internal", 10, (30, 60, 90)),
    ("other", 2, (15, 30)),
]
ACCOUNTLESS = {"internal", "other", "reporting"}


def _demo_usernames() -> list[str]:
    return [person.username for person in DEMO_PEOPLE if person.role == Role.CSM]


def present() -> bool:
    return TimeEntry.objects.filter(user__username__in=_demo_usernames()).exists()


def reset() -> None:
    TimeEntry.objects.filter(user__username__in=_demo_usernames()).delete()


def seed(ctx: Any) -> None:
    capacity_defaults_ensure()
    rng = ctx.rng
    types = {activity.code: activity for activity in ActivityType.objects.filter(is_active=True)}
    mix = [(code, weight, minutes) for code, weight, minutes in MIX if code in types]
    if not mix:
        return
    owned: dict[int, list[Any]] = {}
    for account in ctx.shared.get("accounts", []):
        if account.owner_id is not None:
            owned.setdefault(account.owner_id, []).append(account)
    entries: list[TimeEntry] = []
    first_day = ctx.today - timedelta(weeks=WEEKS)
    for username in _demo_usernames():
        user = ctx.users.get(username)
        if user is None:
            continue
        accounts = owned.get(user.pk, [])
        day = first_day
        while day <= ctx.today:
            if day.weekday() < 5:
                for _ in range(rng.randint(2, 5)):
                    code, _weight, choices = rng.choices(mix, weights=[w for _c, w, _m in mix])[0]
                    account = None if code in ACCOUNTLESS or not accounts else rng.choice(accounts)
                    entries.append(
                        TimeEntry(
                            user=user,
                            account=account,
                            activity_type=types[code],
                            date=day,
                            minutes=rng.choice(choices),
                        )
                    )
            day += timedelta(days=1)
    TimeEntry.objects.bulk_create(entries, batch_size=2000)
    ctx.summary.append(f"{len(entries)} time entries over {WEEKS} weeks")
