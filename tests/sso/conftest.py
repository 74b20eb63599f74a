from __future__ import annotations

from tests.sso.support import oidc_provider, sso  # noqa: F401 (fixtures)
