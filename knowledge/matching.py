"""Ranking best-practice cases for one customer (seed 003, pitfall 6).

"A case from a 1,000-person group is useless to a 50-person firm": customers want to
see what companies of their own size do. So the rank is two-level:

1. Comparable cases first. A case is *far larger* when its company is two or more
   size bands above the customer's, or its ARR two or more segments above. Far larger
   cases always come after every comparable one, whatever else they share.
2. Within each level, a score out of 100: same industry 40, size closeness 20, ARR
   closeness 20, product overlap 20 (Jaccard). Closeness loses 10 per band the case is
   above the customer but only 5 per band below: a bigger company's practice is the
   one that does not transfer, a smaller one's usually still does.

When the customer's company size is unknown, only ARR decides "far larger".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import ARR_ORDER, SIZE_ORDER

FAR = 2  # bands above the customer from which a case is "far larger"


@dataclass(frozen=True)
class Profile:
    industry: str
    size_band: str | None
    arr_band: str
    products: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Match:
    case: object
    score: int
    far_larger: bool
    same_industry: bool
    shared_products: tuple[str, ...]


def normalise_products(products: Iterable[str]) -> frozenset[str]:
    return frozenset(p.strip().casefold() for p in products if p and p.strip())


def _steps(order: list[str], case_value: str | None, customer_value: str | None) -> int | None:
    """How many bands the case lies above (+) or below (−) the customer; None if unknown."""
    if case_value not in order or customer_value not in order:
        return None
    return order.index(case_value) - order.index(customer_value)


def _closeness(steps: int | None) -> int:
    if steps is None:
        return 10  # unknown: neither rewarded nor punished fully
    penalty = 10 * steps if steps > 0 else 5 * -steps
    return max(20 - penalty, 0)


def match(case: object, case_profile: Profile, customer: Profile) -> Match:
    size_steps = _steps(SIZE_ORDER, case_profile.size_band, customer.size_band)
    arr_steps = _steps(ARR_ORDER, case_profile.arr_band, customer.arr_band)
    far_larger = (size_steps is not None and size_steps >= FAR) or (arr_steps is not None and arr_steps >= FAR)
    same_industry = case_profile.industry == customer.industry
    shared = case_profile.products & customer.products
    union = case_profile.products | customer.products
    overlap = round(20 * len(shared) / len(union)) if union else 0
    score = (40 if same_industry else 0) + _closeness(size_steps) + _closeness(arr_steps) + overlap
    return Match(case, score, far_larger, same_industry, tuple(sorted(shared)))


def rank(cases: Iterable[tuple[object, Profile]], customer: Profile) -> list[Match]:
    """Best first: comparable before far larger, then by score, then newest (higher pk)."""
    matches = [match(case, profile, customer) for case, profile in cases]
    return sorted(matches, key=lambda m: (m.far_larger, -m.score, -getattr(m.case, "pk", 0)))
