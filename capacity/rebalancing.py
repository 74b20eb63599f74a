"""Rebalancing: propose owner changes that bring CSMs within their band and ceiling.

The proposal is computed on the fly (nothing stored): each move names the account,
its current owner and the proposed one. Applying re-checks every move under a row
lock, so a stale proposal never moves an account whose owner changed since, nor one
that entered the renewal window (both reported as skipped). Owners change through
``accounts.services.account_update`` (history row and timeline entry); open tasks that
follow the owner move with the account (the playbooks app listens to that save).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.confirm import reason_clean
from accounts.models import AccountStatus, Industry
from accounts.selectors import account_scope, assignable_owners
from accounts.services import OwnerChangeNote, account_update
from core.formatting import money
from core.messages import message
from core.notifications import notification_send, user_language
from core.people import display_name
from core.types import AnyUser
from org.models import Role
from org.roles import is_manager_or_admin
from renewals.selectors import with_next_renewal

from . import arithmetic
from .selectors import CapacityConfig, TeamBooks, book_of_business
from .team_cache import team_figures_invalidate

ZERO = Decimal("0")


@dataclass
class _Load:
    """One CSM's book while the proposal is simulated."""

    user: User
    industries: set[str]
    accounts: int
    arr: Decimal
    counts: dict[str, int]
    _status: str | None = None

    def verdict(self, config: CapacityConfig, per_month: dict[str, Decimal | None]) -> arithmetic.LoadVerdict:
        share = arithmetic.time_load(self.counts, per_month, config.available_hours)
        return arithmetic.load_verdict(
            accounts=self.accounts,
            arr=self.arr,
            accounts_by_segment=self.counts,
            limits=config.limits(),
            time_share=share,
        )

    def status(self, config: CapacityConfig, per_month: dict[str, Decimal | None]) -> str:
        """The verdict's status, kept until the book changes."""
        if self._status is None:
            self._status = self.verdict(config, per_month).status
        return self._status

    def add(self, arr: Decimal, segment: str, sign: int) -> None:
        self._status = None
        self.accounts += sign
        self.arr += arr * sign
        self.counts[segment] = self.counts.get(segment, 0) + sign


@dataclass(frozen=True)
class Move:
    account_id: int
    account_name: str
    arr: Decimal
    industry: str
    from_id: int
    from_name: str
    to_id: int
    to_name: str
    reasons: tuple[str, ...]

    @property
    def token(self) -> str:
        return f"{self.account_id}:{self.from_id}:{self.to_id}"


@dataclass(frozen=True)
class Kept:
    account_name: str
    owner_name: str
    renewal_date: date


@dataclass
class Proposal:
    moves: list[Move] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    over_before: int = 0
    over_after: int = 0


def in_renewal_window(next_renewal: date | None, today: date) -> bool:
    """Open renewal due within the renewal window (or already overdue): the owner stays."""
    window = timedelta(days=settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS)
    return next_renewal is not None and next_renewal <= today + window


def rebalance_proposal(*, user: AnyUser, today: date | None = None, books: TeamBooks | None = None) -> Proposal:
    """Moves from over-capacity CSMs to CSMs who stay within band and ceiling.

    Greedy and explainable: donors' accounts largest first (those outside the donor's
    own industries before those inside), each to the receiver that stays within its
    limits, specialists in the account's industry first, then the least loaded.
    Accounts in the renewal window stay with their owner. A fixed number of queries.
    """
    today = today or timezone.localdate()
    books = books or book_of_business(user=user, today=today)
    config = books.config
    per_month = {key: value.hours_per_account_month for key, value in books.hours.items()}
    loads = _loads(books)
    proposal = Proposal()
    donors = [pk for pk, load in loads.items() if load.verdict(config, per_month).status == arithmetic.OVER]
    proposal.over_before = len(donors)
    if not donors:
        return proposal
    by_owner = _movable_accounts(user, donors, loads, today, proposal)
    labels = dict(Industry.choices)
    for donor_id in donors:
        donor = loads[donor_id]
        # Keep what the donor is specialised in; hand on the rest first.
        queue = sorted(by_owner[donor_id], key=lambda a: (a["industry"] in donor.industries, -a["arr"], a["pk"]))
        _hand_on(donor_id, queue, loads, config, per_month, labels, proposal)
        if donor.verdict(config, per_month).status == arithmetic.OVER:
            proposal.over_after += 1
            proposal.unresolved.append(
                _("%(name)s stays over capacity: no colleague can take more of the book within their limits.")
                % {"name": display_name(donor.user)}
            )
    return proposal


def _loads(books: TeamBooks) -> dict[int, _Load]:
    """The CSMs' books as the simulation changes them (managers and admins are not moved)."""
    loads: dict[int, _Load] = {}
    for row in books.rows:
        if row.role != Role.CSM:
            continue
        profile = getattr(row.user, "cs_profile", None)
        loads[row.user.pk] = _Load(
            user=row.user,
            industries=set(profile.industries if profile else []),
            accounts=row.accounts,
            arr=row.arr,
            counts={key: s.accounts for key, s in row.by_segment.items()},
        )
    return loads


def _movable_accounts(
    user: AnyUser, donors: list[int], loads: dict[int, _Load], today: date, proposal: Proposal
) -> dict[int, list[dict[str, Any]]]:
    """The donors' accounts largest first; those in the renewal window are kept (and listed)."""
    accounts = with_next_renewal(account_scope(user=user).with_segment()).exclude(status=AccountStatus.CHURNED)
    candidates = list(
        accounts.filter(owner_id__in=donors)
        .order_by("-arr", "pk")
        .values("pk", "name", "arr", "industry", "owner_id", "segment_key", "next_renewal_date")  # type: ignore[misc]  # annotated by with_segment and with_next_renewal
    )
    by_owner: dict[int, list[dict[str, Any]]] = {pk: [] for pk in donors}
    for account in candidates:
        if in_renewal_window(account["next_renewal_date"], today):
            proposal.kept.append(
                Kept(account["name"], display_name(loads[account["owner_id"]].user), account["next_renewal_date"])
            )
            continue
        by_owner[account["owner_id"]].append(account)
    return by_owner


def _hand_on(
    donor_id: int,
    queue: list[dict[str, Any]],
    loads: dict[int, _Load],
    config: CapacityConfig,
    per_month: dict[str, Decimal | None],
    labels: dict[str, Any],
    proposal: Proposal,
) -> None:
    """Move the donor's accounts, in ``queue`` order, until the donor is no longer over."""
    donor = loads[donor_id]
    smallest = min((Decimal(a["arr"]) for a in queue), default=ZERO)
    # While one donor hands on accounts the others' books only grow, and a book only
    # gets fuller with a larger account of the same segment: once no colleague can
    # take an account, none can take a larger one of its segment. So each segment is
    # first probed with its smallest account, and failures are remembered: the search
    # stays near-linear instead of every account × every colleague.
    smallest_of: dict[str, Decimal] = {}
    for a in queue:
        arr_a = Decimal(a["arr"])
        smallest_of[a["segment_key"]] = min(arr_a, smallest_of.get(a["segment_key"], arr_a))
    no_taker_from: dict[str, Decimal] = {}
    arr_max = max(smallest_of.values(), default=ZERO) + 1  # above every smallest: "no failure yet"
    probed: set[str] = set()
    before = donor.verdict(config, per_month)  # recomputed after each move only
    for account in queue:
        if before.status != arithmetic.OVER:
            break
        if no_taker_from and all(no_taker_from.get(key, arr_max) <= low for key, low in smallest_of.items()):
            break  # no segment's smallest account has a taker: nothing more can move
        arr, segment = Decimal(account["arr"]), account["segment_key"]
        swings_under = config.band_min is not None and donor.arr - arr < config.band_min
        if swings_under and smallest < arr:
            continue  # would swing the donor from over to under: try a smaller account
        if segment not in probed:
            probed.add(segment)
            low = smallest_of[segment]
            if _best_receiver(loads, donor_id, account["industry"], low, segment, config, per_month) is None:
                no_taker_from[segment] = low
        if segment in no_taker_from and arr >= no_taker_from[segment]:
            continue
        receiver = _best_receiver(loads, donor_id, account["industry"], arr, segment, config, per_month)
        if receiver is None:
            no_taker_from[segment] = min(arr, no_taker_from.get(segment, arr))
            continue
        donor.add(arr, segment, -1)
        receiver.add(arr, segment, +1)
        proposal.moves.append(
            Move(
                account_id=account["pk"],
                account_name=account["name"],
                arr=arr,
                industry=str(labels.get(account["industry"], account["industry"])),
                from_id=donor_id,
                from_name=display_name(donor.user),
                to_id=receiver.user.pk,
                to_name=display_name(receiver.user),
                reasons=_explain(before, donor, receiver, account["industry"], labels, config),
            )
        )
        before = donor.verdict(config, per_month)


def _best_receiver(
    loads: dict[int, _Load],
    donor_id: int,
    industry: str,
    arr: Decimal,
    segment: str,
    config: CapacityConfig,
    per_month: dict[str, Decimal | None],
) -> _Load | None:
    fitting: list[tuple[tuple[Any, ...], _Load]] = []
    for pk, load in loads.items():
        if pk == donor_id or load.status(config, per_month) == arithmetic.OVER:
            continue  # over already: over with one more account too
        load.add(arr, segment, +1)
        status = load.verdict(config, per_month).status
        load.add(arr, segment, -1)
        if status == arithmetic.OVER:
            continue
        # Specialists first, then whoever is under-loaded now, then the lightest book.
        under = load.status(config, per_month) == arithmetic.UNDER
        fitting.append(((industry not in load.industries, not under, load.arr, pk), load))
    if not fitting:
        return None
    return min(fitting, key=lambda item: item[0])[1]


def _explain(
    before: arithmetic.LoadVerdict,
    donor: _Load,
    receiver: _Load,
    industry: str,
    labels: dict[str, Any],
    config: CapacityConfig,
) -> tuple[str, ...]:
    from .selectors import finding_text

    reasons = [
        _("%(name)s is over capacity: %(why)s")
        % {
            "name": display_name(donor.user),
            "why": " ".join(finding_text(f) for f in before.findings if f.status == arithmetic.OVER),
        },
        _("After the move %(donor)s carries %(donor_arr)s and %(receiver)s %(receiver_arr)s, within their limits.")
        % {
            "donor": display_name(donor.user),
            "donor_arr": money(donor.arr),
            "receiver": display_name(receiver.user),
            "receiver_arr": money(receiver.arr),
        },
    ]
    if industry in receiver.industries:
        reasons.append(
            _("%(name)s specialises in %(industry)s.")
            % {"name": display_name(receiver.user), "industry": labels.get(industry, industry)}
        )
    return tuple(reasons)


# --- Applying ------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveRequest:
    account_id: int
    from_id: int
    to_id: int

    @classmethod
    def parse(cls, token: str) -> MoveRequest:
        try:
            account_id, from_id, to_id = (int(part) for part in token.split(":"))
        except ValueError as exc:
            raise ValidationError({"move": _("Not a valid move: %(token)s") % {"token": token[:40]}}) from exc
        return cls(account_id, from_id, to_id)


@dataclass
class ApplyResult:
    moved: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # donor id -> (their user, [(account name, new owner's name), ...]) for their notice
    lost: dict[int, tuple[Any, list[tuple[str, str]]]] = field(default_factory=dict)


@transaction.atomic
def rebalance_apply(
    *, actor: AnyUser, moves: list[MoveRequest], reason: str = "", today: date | None = None
) -> ApplyResult:
    """Change the owners of the ticked moves, all or nothing; stale moves are skipped.

    ``reason`` (required on the page, bounded by ``reason_clean``) is the body of each
    moved account's one timeline entry and is in the notice each CSM who lost accounts
    gets (in the app, and by email as their preferences say), with the list.
    Idempotent: applying the same proposal twice moves nothing the second time (each
    account's owner is no longer the one the move was proposed from).
    """
    if not is_manager_or_admin(actor):
        raise PermissionDenied("only managers and admins rebalance books")
    if not moves:
        raise ValidationError({"move": _("Tick at least one move.")})
    reason = reason_clean(reason, required=False)
    today = today or timezone.localdate()
    ids = sorted({move.account_id for move in moves})
    # Lock in pk order (two managers applying at once wait, then see the new owners).
    locked = {
        account.pk: account
        for account in account_scope(user=actor)
        .select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    renewal = dict(
        with_next_renewal(account_scope(user=actor)).filter(pk__in=ids).values_list("pk", "next_renewal_date")  # type: ignore[misc]
    )
    owners = {user.pk: user for user in assignable_owners(user=actor).filter(cs_profile__role=Role.CSM)}
    # Owners change: the cached team figures are stale once this commits.
    transaction.on_commit(team_figures_invalidate)
    result = ApplyResult()
    note = OwnerChangeNote(
        kind="capacity_rebalanced",
        message_key=gettext_noop("Reassigned by rebalancing: %(old)s → %(new)s"),
        body=reason,
        data={"reason": reason},
    )
    for move in moves:
        account = locked.get(move.account_id)
        if account is None:
            result.skipped.append((str(move.account_id), _("not one of your team's accounts")))
            continue
        if account.owner_id != move.from_id:
            result.skipped.append((account.name, _("its owner changed since the proposal")))
            continue
        if in_renewal_window(renewal.get(account.pk), today):
            result.skipped.append((account.name, _("it is in the renewal window")))
            continue
        target = owners.get(move.to_id)
        if target is None:
            result.skipped.append((account.name, _("the proposed owner cannot take accounts from you")))
            continue
        previous = account.owner
        account_update(actor=actor, account=account, owner=target, owner_note=note)
        result.moved.append(account.name)
        result.lost.setdefault(move.from_id, (previous, []))[1].append((account.name, display_name(target)))
    _notify_donors(actor=actor, result=result, reason=reason)
    return result


def _notify_donors(*, actor: AnyUser, result: ApplyResult, reason: str) -> None:
    """One notice per CSM who lost accounts, listing them (read in their language)."""
    url = settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("accounts:list")
    for donor, accounts in result.lost.values():
        if donor is None:
            continue
        lines = [
            message(gettext_noop("%(account)s → %(owner)s"), account=name, owner=owner) for name, owner in accounts
        ]
        if reason:
            lines.append(message(gettext_noop("Reason: %(reason)s"), reason=reason))
        with translation.override(user_language(donor)):
            notification_send(
                recipient=donor,
                kind="accounts_moved",
                message=message(
                    gettext_noop("Rebalancing by %(manager)s moved %(count)s of your accounts"),
                    manager=display_name(actor),
                    count=len(accounts),
                ),
                body_messages=lines,
                url=url,
                email=True,
            )
