"""``{% account_health_panel account %}``: the health panel of the account page.

The account page (``accounts``, which knows nothing of ``health``) includes
``health/_account_health.html``; this tag fills it. The page has already checked
that the user may see ``account``.
"""

from __future__ import annotations

from typing import Any

from django import template

from health.selectors import account_health

register = template.Library()


@register.inclusion_tag("health/_account_health_panel.html", takes_context=True)
def account_health_panel(context: template.Context, account: Any) -> dict[str, Any]:
    return {
        "health": account_health(account=account),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
