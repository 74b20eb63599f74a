"""The login page's single sign-on button: ``{% sso_login as sso %}``."""

from __future__ import annotations

from django import template

from org.sso_config import provider_name, sso_enabled, sso_only

register = template.Library()


@register.simple_tag
def sso_login() -> dict[str, object]:
    return {"enabled": sso_enabled(), "only": sso_only(), "provider": provider_name()}
