"""Saved segments: who sees which, their members within the reader's scope, and the
writes (create, rename, update the filter, share, delete, add accounts by hand).

Visibility follows the access rule's roles: a person sees their own segments and the
shared ones of their team (the owner's team: its members and its manager); a manager
also sees the shared segments of the teams they lead; an admin sees all. Owner or
admin edit. Members are stored for every matching account, and read only through
``account_scope`` of the reader, so a shared segment never shows an account the reader
could not open. ``segment_members_apply`` is the one write of the materialised
membership; it sends ``segment_entered`` / ``segment_left`` after commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.people import person_or_none
from core.types import AnyUser
from core.undo import BulkOutcome, undo_state, undo_token
from org.models import Role, Team
from org.roles import role_of

from .models import SavedSegment, SegmentKind, SegmentMember
from .querysets import AccountQuerySet
from .selectors import account_scope
from .signals import segment_entered, segment_left

MAX_FILTER_PARAMS = 30
MAX_FILTER_VALUES = 200
MAX_VALUE_LENGTH = 200
MAX_ACCOUNTS_AT_ONCE = 200
# A static segment's hand-picked list is bounded like any other input.
MAX_STATIC_MEMBERS = 10_000


def _team_id(user: AnyUser) -> int | None:
    profile = getattr(user, "cs_profile", None)
    return getattr(profile, "team_id", None)


def segments_visible_q(user: AnyUser) -> Q | None:
    """Q over ``SavedSegment`` for what ``user`` may see; ``None`` means all."""
    role = role_of(user)
    if role is None:
        return Q(pk__in=[])
    if role == Role.ADMIN:
        return None
    team_ids = list(Team.objects.filter(lead_id=user.pk).values_list("pk", flat=True)) if role == Role.MANAGER else []
    if (own_team := _team_id(user)) is not None:
        team_ids.append(own_team)
    shared_with = Q(owner__cs_profile__team_id__in=team_ids) | Q(
        owner_id__in=Team.objects.filter(pk__in=team_ids).values("lead_id")
    )
    return Q(owner_id=user.pk) | (Q(shared=True) & shared_with) if team_ids else Q(owner_id=user.pk)


def segments_for_user(*, user: AnyUser) -> QuerySet[SavedSegment]:
    condition = segments_visible_q(user)
    segments = SavedSegment.objects.select_related("owner").order_by("name", "pk")
    return segments if condition is None else segments.filter(condition)


def get_segment_for_user(user: AnyUser, pk: Any) -> SavedSegment:
    """One segment, or 404 when it does not exist or ``user`` may not see it."""
    try:
        return segments_for_user(user=user).get(pk=int(pk))
    except (SavedSegment.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such segment.") from exc


def can_edit_segment(user: AnyUser, segment: SavedSegment) -> bool:
    return segment.owner_id == user.pk or role_of(user) == Role.ADMIN


def segment_members_for_user(*, user: AnyUser, segment: SavedSegment) -> AccountQuerySet:
    """The segment's members that ``user`` may see."""
    return account_scope(user=user).filter(
        Exists(SegmentMember.objects.filter(segment=segment, account=OuterRef("pk")))
    )


def accounts_in_segments(*, user: AnyUser, segment_ids: Collection[int]) -> AccountQuerySet:
    """Accounts ``user`` may see that are members of any of the segments ``user`` may see
    among ``segment_ids`` (an outreach audience)."""
    visible = segments_for_user(user=user).filter(pk__in=list(segment_ids)).values("pk")
    members = SegmentMember.objects.filter(segment_id__in=visible, account=OuterRef("pk"))
    return account_scope(user=user).filter(Exists(members))


def segment_counts(*, user: AnyUser, segments: Iterable[SavedSegment]) -> dict[int, int]:
    """Members per segment within ``user``'s scope: one query for them all."""
    ids = [segment.pk for segment in segments]
    if not ids:
        return {}
    rows = (
        SegmentMember.objects.filter(segment_id__in=ids, account__in=account_scope(user=user))
        .values("segment_id")
        .annotate(n=Count("pk"))
        .values_list("segment_id", "n")
    )
    return dict.fromkeys(ids, 0) | dict(rows)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the segment a name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("At most 120 characters.")})
    return name


def clean_filters(filters: Any) -> dict[str, list[str]]:
    """The shape of a stored filter (names → lists of texts), bounded; the book checks
    the values themselves (``workspace.segments``)."""
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("The filter must be an object of parameter names and values.")})
    if len(filters) > MAX_FILTER_PARAMS:
        raise ValidationError({"filters": _("Too many filter parameters.")})
    cleaned: dict[str, list[str]] = {}
    for name, values in filters.items():
        values = values if isinstance(values, list) else [values]
        if not isinstance(name, str) or len(name) > 40 or len(values) > MAX_FILTER_VALUES:
            raise ValidationError({"filters": _("Too many filter parameters.")})
        texts = [str(value) for value in values if value is not None and str(value) != ""]
        if any(len(text) > MAX_VALUE_LENGTH for text in texts):
            raise ValidationError({"filters": _("A filter value is too long.")})
        if texts and name not in ("page", "view"):
            cleaned[name] = texts
    return cleaned


def _check_editor(actor: AnyUser, segment: SavedSegment) -> None:
    if not can_edit_segment(actor, segment):
        raise PermissionDenied(_("Only the segment's owner or an admin changes it."))


def _save(segment: SavedSegment, actor: AnyUser) -> None:
    segment._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    segment.full_clean(exclude=["owner"])
    segment.save()


@transaction.atomic
def segment_create(
    *, actor: AnyUser, name: str, kind: str = SegmentKind.DYNAMIC, shared: bool = False, filters: Any = None
) -> SavedSegment:
    if role_of(actor) is None:
        raise PermissionDenied
    if kind not in SegmentKind.values:
        raise ValidationError({"kind": _("Choose a filter or a list.")})
    segment = SavedSegment(
        name=_clean_name(name),
        owner=actor,  # type: ignore[misc]  # a signed-in person (role checked above)
        kind=kind,
        shared=bool(shared),
        filters={} if kind == SegmentKind.STATIC else clean_filters(filters or {}),
    )
    _save(segment, actor)
    return segment


@transaction.atomic
def segment_update(
    *,
    actor: AnyUser,
    segment: SavedSegment,
    name: str | None = None,
    shared: bool | None = None,
    filters: Any = None,
) -> SavedSegment:
    """Rename, share or unshare, or give a dynamic segment a new filter (which enables
    it again if it had been disabled)."""
    _check_editor(actor, segment)
    if name is not None:
        segment.name = _clean_name(name)
    if shared is not None:
        segment.shared = bool(shared)
    if filters is not None:
        if segment.is_static:
            raise ValidationError({"filters": _("A list segment has no filter: add accounts from the book.")})
        segment.filters = clean_filters(filters)
        segment.disabled_reason = ""
    _save(segment, actor)
    return segment


@transaction.atomic
def segment_delete(*, actor: AnyUser, segment: SavedSegment) -> None:
    _check_editor(actor, segment)
    segment._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    left = list(segment.members.values_list("account_id", flat=True))
    segment_id = segment.pk
    segment.delete()
    if left:
        transaction.on_commit(lambda: segment_left.send(sender=SavedSegment, segment_id=segment_id, account_ids=left))


def segment_disable(*, segment: SavedSegment, reason: str) -> None:
    """Stop refreshing a segment whose filter no longer validates; the reason is shown."""
    reason = reason[:500]
    if segment.disabled_reason != reason:
        SavedSegment.objects.filter(pk=segment.pk).update(disabled_reason=reason)
        segment.disabled_reason = reason


@transaction.atomic
def segment_members_apply(*, segment: SavedSegment, entered: list[int], left: list[int]) -> None:
    """Write a membership diff computed by the caller: a bulk insert and one delete."""
    now = timezone.now()
    if entered:
        SegmentMember.objects.bulk_create(
            [SegmentMember(segment=segment, account_id=pk, entered_at=now) for pk in entered],
            batch_size=5000,
            ignore_conflicts=True,
        )
    if left:
        SegmentMember.objects.filter(segment=segment, account_id__in=left).delete()
    SavedSegment.objects.filter(pk=segment.pk).update(refreshed_at=now)
    segment_id = segment.pk
    if entered:
        transaction.on_commit(
            lambda: segment_entered.send(sender=SavedSegment, segment_id=segment_id, account_ids=entered)
        )
    if left:
        transaction.on_commit(lambda: segment_left.send(sender=SavedSegment, segment_id=segment_id, account_ids=left))


def account_ids_clean(values: Collection[Any], *, most: int = MAX_ACCOUNTS_AT_ONCE) -> list[int]:
    """The chosen account ids of a bulk action, sorted and unique, at most ``most``."""
    try:
        ids = sorted({int(value) for value in values})
    except (TypeError, ValueError) as error:
        raise ValidationError({"account": _("Choose accounts from the list.")}) from error
    if not ids:
        raise ValidationError({"account": _("Choose at least one account.")})
    if len(ids) > most:
        raise ValidationError({"account": _("Choose at most %(max)s accounts at a time.") % {"max": most}})
    return ids


def _static_segment(actor: AnyUser, segment: SavedSegment) -> SavedSegment:
    _check_editor(actor, segment)
    if not segment.is_static:
        raise ValidationError({"segment": _("Accounts are added by hand only to a list segment.")})
    return SavedSegment.objects.select_for_update().get(pk=segment.pk)


@transaction.atomic
def segment_add_accounts(*, actor: AnyUser, segment: SavedSegment, account_ids: Collection[Any]) -> BulkOutcome:
    """Add the chosen accounts to a list segment (all-or-nothing); undo removes those
    this call added."""
    segment = _static_segment(actor, segment)
    ids = account_ids_clean(account_ids)
    found = set(account_scope(user=actor).filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in found]:
        raise ValidationError(
            {"account": _("Account #%(id)s is not one you can change; nothing was changed.") % {"id": missing[0]}}
        )
    already = set(segment.members.filter(account_id__in=ids).values_list("account_id", flat=True))
    added = [pk for pk in ids if pk not in already]
    if segment.members.count() + len(added) > MAX_STATIC_MEMBERS:
        raise ValidationError(
            {"segment": _("A list segment holds at most %(max)s accounts.") % {"max": MAX_STATIC_MEMBERS}}
        )
    segment_members_apply(segment=segment, entered=added, left=[])
    state = {"segment": segment.pk, "added": added}
    return BulkOutcome(count=len(added), undo=undo_token(actor=actor, action="segment_add", state=state))


@transaction.atomic
def segment_add_accounts_undo(*, actor: AnyUser, token: str) -> BulkOutcome:
    state = undo_state(actor=actor, action="segment_add", token=token)
    try:
        segment = SavedSegment.objects.get(pk=int(state["segment"]))
        added = [int(pk) for pk in state["added"]]
    except (KeyError, TypeError, ValueError, SavedSegment.DoesNotExist) as error:
        raise ValidationError({"undo": _("This cannot be undone.")}) from error
    segment = _static_segment(actor, segment)
    present = list(segment.members.filter(account_id__in=added).values_list("account_id", flat=True))
    segment_members_apply(segment=segment, entered=[], left=present)
    return BulkOutcome(count=len(present))


@transaction.atomic
def segment_remove_accounts(*, actor: AnyUser, segment: SavedSegment, account_ids: Collection[Any]) -> int:
    """Take accounts out of a list segment."""
    segment = _static_segment(actor, segment)
    ids = account_ids_clean(account_ids)
    visible = account_scope(user=actor).filter(pk__in=ids).values("pk")
    present = list(segment.members.filter(account_id__in=visible).values_list("account_id", flat=True))
    segment_members_apply(segment=segment, entered=[], left=present)
    return len(present)


__all__ = [
    "account_ids_clean",
    "accounts_in_segments",
    "can_edit_segment",
    "clean_filters",
    "get_segment_for_user",
    "segment_add_accounts",
    "segment_add_accounts_undo",
    "segment_counts",
    "segment_create",
    "segment_delete",
    "segment_disable",
    "segment_members_apply",
    "segment_members_for_user",
    "segment_remove_accounts",
    "segment_update",
    "segments_for_user",
    "segments_visible_q",
]
