"""Who a survey goes to: stakeholders of accounts chosen by list, segment, tier and role.

An audience is a small JSON document kept on the survey (``Survey.audience``), so that an
automatic send asks the same people the manual one did:
``{"segments": [...], "tiers": [...], "key_levels": [...], "account_ids": [...],
"saved_segments": [...]}``; an empty list means "any". ``saved_segments``: ids of saved
segments (``accounts.saved_segments``) — their members, within the sender's scope
(the accounts given to ``audience_stakeholders`` are already scoped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account, KeyPersonLevel, SegmentMember, Stakeholder, Tier
from accounts.segments import Segment, arr_range_for_segment

AUDIENCE_KEYS = ("segments", "tiers", "key_levels", "account_ids", "saved_segments")


def audience_clean(raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The audience with known values only; a bad one is a ``ValidationError`` naming it."""
    audience: dict[str, list[Any]] = {}
    unknown = set(raw) - set(AUDIENCE_KEYS)
    if unknown:
        raise ValidationError(
            {"audience": _("Unknown audience fields: %(names)s") % {"names": ", ".join(sorted(unknown))}}
        )
    allowed: dict[str, set[Any]] = {
        "segments": set(Segment.values),
        "tiers": set(Tier.values),
        "key_levels": set(KeyPersonLevel.values),
    }
    for key in AUDIENCE_KEYS:
        values = raw.get(key) or []
        if not isinstance(values, list | tuple):
            raise ValidationError({key: _("Give a list.")})
        if key in ("key_levels", "account_ids", "saved_segments"):
            try:
                values = [int(value) for value in values]
            except (TypeError, ValueError):
                raise ValidationError({key: _("Give whole numbers.")}) from None
        if key in allowed and not set(values) <= allowed[key]:
            raise ValidationError(
                {key: _("Unknown value: %(values)s") % {"values": ", ".join(map(str, set(values) - allowed[key]))}}
            )
        audience[key] = sorted(set(values))
    return audience


def _segments_q(segments: list[str]) -> Q:
    condition = Q(pk__in=[])
    for segment in segments:
        low, high = arr_range_for_segment(segment)
        part = Q()
        if low is not None:
            part &= Q(arr__gte=low)
        if high is not None:
            part &= Q(arr__lt=high)
        condition |= part
    return condition


def audience_stakeholders(*, accounts: QuerySet[Account], audience: Mapping[str, list[Any]]) -> QuerySet[Stakeholder]:
    """Active stakeholders with an address, of ``accounts`` (already scoped) matching ``audience``."""
    if audience.get("segments"):
        accounts = accounts.filter(_segments_q(audience["segments"]))
    if audience.get("account_ids"):
        accounts = accounts.filter(pk__in=audience["account_ids"])
    if audience.get("saved_segments"):
        members = SegmentMember.objects.filter(segment_id__in=audience["saved_segments"], account=OuterRef("pk"))
        accounts = accounts.filter(Exists(members))
    people = Stakeholder.objects.filter(account__in=accounts.order_by().values("pk"), is_active=True, erased_at=None)
    people = people.exclude(email="")
    if audience.get("tiers"):
        people = people.filter(tier__in=audience["tiers"])
    if audience.get("key_levels"):
        people = people.filter(key_level__in=audience["key_levels"])
    return people
