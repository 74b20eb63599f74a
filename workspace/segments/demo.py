"""Demo data: two saved segments the demo team shares (after health, playbooks and the
timeline, whose figures their filters read), with their members computed."""

from __future__ import annotations

from typing import Any

from accounts.models import SavedSegment

from .services import segment_save

DEMO_SEGMENTS = (
    ("Red accounts renewing in 120 days", {"health": ["red"], "renewal_within": ["120"]}),
    ("Tech-touch, no touch in 30 days", {"segment": ["tech_touch"], "no_touch_days": ["30"]}),
)


def present() -> bool:
    return SavedSegment.objects.exists()


def reset() -> None:
    SavedSegment.objects.all().delete()


def seed(ctx: Any) -> None:
    manager = ctx.users.get("manager")
    if manager is None:
        return
    for name, filters in DEMO_SEGMENTS:
        segment_save(actor=manager, name=name, shared=True, filters=filters)
    ctx.summary.append(f"{len(DEMO_SEGMENTS)} saved segments")
