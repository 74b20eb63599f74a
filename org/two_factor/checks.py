"""A misspelt role in HOURGLASS_2FA_REQUIRED_ROLES would silently enforce nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from ..models import Role


@register()
def required_roles_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    unknown = sorted(
        {code.strip() for code in settings.HOURGLASS_2FA_REQUIRED_ROLES if code.strip()} - set(Role.values)
    )
    if not unknown:
        return []
    return [
        Error(
            f"HOURGLASS_2FA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use role codes: {', '.join(Role.values)}.",
            id="org.two_factor.E001",
        )
    ]
