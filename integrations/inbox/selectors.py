"""Reads of the inbox: who sent an email, which account it belongs to, who may see it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from accounts.models import Account, Stakeholder
from accounts.selectors import account_scope
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from .models import InboundEmail, InboundStatus, MatchedBy


def sender_for(*, envelope_from: str, from_addresses: Iterable[str]) -> AnyUser | None:
    """The active Hourglass user whose email is the envelope sender or a From: address."""
    candidates = [a.strip().lower() for a in (envelope_from, *from_addresses) if a and "@" in a]
    if not candidates:
        return None
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=candidates)
        .select_related("cs_profile")
        .order_by("pk")
    )
    by_address: dict[str, AnyUser] = {}
    for user in users:  # two people with one address: the older account wins
        by_address.setdefault(user.email_lower, user)
    return next((by_address[a] for a in candidates if a in by_address), None)


def inbox_scope(*, user: AnyUser) -> QuerySet[InboundEmail]:
    """Emails ``user`` may see: their own; a manager also their teams'; admins all."""
    emails = InboundEmail.objects.all()
    role = role_of(user)
    if role is None:
        return emails.none()
    if role == Role.ADMIN:
        return emails
    if role == Role.MANAGER:
        return emails.filter(Q(sender_id=user.pk) | Q(sender__cs_profile__team__lead_id=user.pk))
    return emails.filter(sender_id=user.pk)


def unmatched_for_user(*, user: AnyUser) -> QuerySet[InboundEmail]:
    return (
        inbox_scope(user=user)
        .filter(status=InboundStatus.UNMATCHED)
        .select_related("sender")
        .order_by("-received_at", "-pk")
    )


def get_inbound_for_user(user: AnyUser, pk: int | str) -> InboundEmail:
    """One email, or 404 when it does not exist or lies outside the user's scope."""
    try:
        return inbox_scope(user=user).select_related("sender", "account").get(pk=pk)
    except (InboundEmail.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such email.") from exc


@dataclass(frozen=True)
class AccountMatch:
    account: Account
    matched_by: str
    stakeholders: list[Stakeholder]


def _ours(address: str, *, internal: set[str]) -> bool:
    domain = address.rsplit("@", 1)[-1]
    return address in internal or domain in {d.lower() for d in settings.HOURGLASS_INBOX_DOMAINS}


def customer_addresses(addresses: Iterable[str]) -> list[str]:
    """``addresses`` without the inbox's own and without Hourglass users' (colleagues)."""
    addresses = [a.lower() for a in addresses]
    internal = set(
        get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .values_list("email_lower", flat=True)
    )
    return [a for a in addresses if not _ours(a, internal=internal)]


def stakeholders_with_addresses(*, accounts: QuerySet[Account], addresses: list[str]) -> list[Stakeholder]:
    if not addresses:
        return []
    return list(
        Stakeholder.objects.filter(account__in=accounts, erased_at=None)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .select_related("account")
        .order_by("account_id", "pk")
    )


def _company_domains() -> set[str]:
    """The domains of the team's own addresses: a colleague's domain is not a customer's."""
    emails = get_user_model().objects.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    return {email.rsplit("@", 1)[-1].lower() for email in emails}


def _by_domain(accounts: QuerySet[Account], addresses: list[str]) -> list[Account]:
    public = {d.lower() for d in settings.HOURGLASS_INBOX_PUBLIC_DOMAINS}
    domains = sorted({a.rsplit("@", 1)[-1] for a in addresses} - public - _company_domains())
    if not domains:
        return []
    condition = reduce(or_, (Q(email__iendswith=f"@{domain}") for domain in domains))
    ids = Stakeholder.objects.filter(condition, account__in=accounts, erased_at=None).values("account_id")
    return list(accounts.filter(pk__in=ids).order_by("pk")[:2])


def account_for_email(*, email: InboundEmail) -> AccountMatch | None:
    """The one account in the sender's scope this email is about, else None (parked).

    To/Cc (the BCC case) before a forwarded message's header block; within each, a
    stakeholder's exact address before the customer's email domain (the domains of its
    stakeholders' addresses). Two candidate accounts is no match: the CSM picks.
    """
    scope = account_scope(user=email.sender)
    for addresses in (email.to_addresses, email.forwarded_addresses):
        addresses = customer_addresses(addresses)
        if not addresses:
            continue
        stakeholders = stakeholders_with_addresses(accounts=scope, addresses=addresses)
        accounts = {s.account_id: s.account for s in stakeholders}
        if len(accounts) == 1:
            return AccountMatch(next(iter(accounts.values())), MatchedBy.STAKEHOLDER, stakeholders)
        if len(accounts) > 1:
            return None
        by_domain = _by_domain(scope, addresses)
        if len(by_domain) == 1:
            return AccountMatch(by_domain[0], MatchedBy.DOMAIN, [])
        if by_domain:
            return None
    return None
