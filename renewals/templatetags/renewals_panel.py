from __future__ import annotations

from typing import Any

from django import template

from renewals.lapsed import account_lapsed_renewals
from renewals.selectors import account_expansions, account_renewal_summary

register = template.Library()


@register.inclusion_tag("renewals/_account_renewal.html")
def account_renewal_panel(account: Any) -> dict[str, Any]:
    """The account page's renewal card: next renewal date, ARR in force, lapsed
    renewals (date passed, still to close), expansions."""
    return {
        "account": account,
        "lapsed": account_lapsed_renewals(account=account),
        "summary": account_renewal_summary(account=account),
        "expansions": account_expansions(account=account),
    }
