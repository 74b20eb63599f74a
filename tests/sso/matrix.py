"""Permission-matrix entries of single sign-on (see tests/matrix_support.py).

The matrix runs with SSO off (the default): both URLs then send everyone to the login
page with "Single sign-on is not configured". With SSO on both are public — the start
redirects any visitor to the provider, the callback refuses anything it did not start —
which tests/sso/test_flow.py shows for every role (test_public_for_every_role_when_on).
"""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "sso:authenticate": e("to_login"),
    "sso:callback": e("to_login"),
}
