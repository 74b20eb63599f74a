"""Compensation structure hint by company stage (seed 003, domain.md §7).

Seed 003 names three structures and when each fits:
- fixed + performance bonus, fixed:variable 9:1–8:2 — a SaaS company just starting,
  or about 5 contracts per CSM a year: renewals are easy, so reward stage results
  (executive relationships, needs found, reference cases), assessed quarterly;
- fixed + commission, 5:5–6:4 — fast growth, 50+ contracts per CSM a year: renewal
  is the challenge, so a renewal commission pulls, and it pays every month;
- fixed + commission + bonus, 5:4:1–5:3:2 — developed/mature, renewal rate ≥ 85%:
  renewals are steady; a quarterly bonus rewards collection on time, leads, expansion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.types import AnyUser
from renewals.kpis import default_period, retention_kpis

# Up to this many contracts per CSM a year a company is still in seed 003's "about 5"
# early case (the geometric middle of 5 and 50 is ~16).
EARLY_MAX_CONTRACTS = 15
GROWTH_MIN_CONTRACTS = 50
MATURE_RENEWAL_RATE = Decimal("0.85")

EARLY, GROWTH, MATURE = "early", "growth", "mature"


@dataclass(frozen=True)
class CompensationHint:
    stage: str
    structure: str
    split: str
    reasons: list[str]


def compensation_hint(*, contracts_per_csm_year: int, renewal_rate: Decimal | None) -> CompensationHint:
    """The recommended fixed/variable split for the company's stage, with the reasoning."""
    if contracts_per_csm_year < 0:
        raise ValueError("contracts per CSM cannot be negative")
    if renewal_rate is not None and not Decimal("0") <= renewal_rate <= Decimal("1"):
        raise ValueError("the renewal rate is a share between 0 and 1")
    rate_text = "—" if renewal_rate is None else f"{(renewal_rate * 100).quantize(Decimal('1'))}%"
    facts = _("%(contracts)s contracts per CSM a year, renewal rate %(rate)s.") % {
        "contracts": contracts_per_csm_year,
        "rate": rate_text,
    }
    if contracts_per_csm_year <= EARLY_MAX_CONTRACTS:
        return CompensationHint(
            EARLY,
            _("Fixed + performance bonus"),
            "9:1 – 8:2",
            [
                facts,
                _("Few contracts each (about 5 a year): renewal targets are easy to reach."),
                _(
                    "Keep income stable to retain people; steer with quarterly or half-yearly reviews of "
                    "stage results: executive relationships, customer needs found, reference cases."
                ),
            ],
        )
    if renewal_rate is not None and renewal_rate >= MATURE_RENEWAL_RATE:
        return CompensationHint(
            MATURE,
            _("Fixed + commission + bonus"),
            "5:4:1 – 5:3:2",
            [
                facts,
                _("A renewal rate of 85 percent or more: renewals are steady, growth is the pressure."),
                _(
                    "Besides the renewal commission, a quarterly bonus on collection on time, leads, "
                    "expansion opportunities, renewal rate, executive relationships and reference cases."
                ),
            ],
        )
    reasons = [
        facts,
        _("Many contracts each (50 or more a year) and renewal is the challenge."),
        _("A renewal commission pulls hardest and, with renewals every month, keeps income predictable."),
    ]
    if contracts_per_csm_year < GROWTH_MIN_CONTRACTS:
        reasons.append(
            _("Between the early stage (about 5 contracts a year) and fast growth (50 or more): start at the 6:4 end.")
        )
    return CompensationHint(GROWTH, _("Fixed + commission"), "5:5 – 6:4", reasons)


@dataclass(frozen=True)
class CompensationView:
    contracts: int | None
    renewal_percent: Decimal | None
    from_data: bool
    hint: CompensationHint | None
    error: str = ""


def compensation_form_hint(*, user: AnyUser, data: Mapping[str, Any], csms: int, today: date) -> CompensationView:
    """The hint for the team page: the manager's inputs (``contracts``, ``renewal_rate`` in
    %), or else the company's own figures — renewals closed in the last four full
    quarters per CSM, and their logo renewal rate (one aggregate query)."""
    raw_contracts, raw_rate = data.get("contracts", ""), data.get("renewal_rate", "")
    if raw_contracts or raw_rate:
        try:
            contracts = int(raw_contracts)
            rate = Decimal(raw_rate) if raw_rate else None
            if contracts < 0 or (rate is not None and not 0 <= rate <= 100):
                raise ValueError
        except (ValueError, InvalidOperation):
            return CompensationView(
                None, None, False, None, _("Enter a whole number of contracts and a renewal rate from 0 to 100.")
            )
        hint = compensation_hint(contracts_per_csm_year=contracts, renewal_rate=None if rate is None else rate / 100)
        return CompensationView(contracts, rate, False, hint)
    start, end = default_period(today)
    company = retention_kpis(user=user, start=start, end=end).rows[0]
    if not company.closed or not csms:
        return CompensationView(None, None, True, None)
    contracts = round(company.closed / csms)
    rate = company.logo_renewal_rate
    hint = compensation_hint(contracts_per_csm_year=contracts, renewal_rate=rate)
    return CompensationView(contracts, None if rate is None else (rate * 100).quantize(Decimal("1")), True, hint)
