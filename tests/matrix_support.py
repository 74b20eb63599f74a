"""Shared vocabulary of the permission matrix (tests/test_permission_matrix.py).

Each app may add its own entries in ``tests/<app>/matrix.py``: a dict ``ENTRIES`` of URL
name -> ``e(profile, method, **kwargs)`` and, when its URLs need objects, a function
``targets(org, base) -> dict`` returning more named target objects (``base`` holds the
shared ones: account, stakeholder, task, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("anonymous", "csm_a1", "csm_a2", "csm_b1", "manager_a", "manager_b", "admin")

# Expected outcome per role, by profile. "ok" = served (2xx, or 3xx/4xx validation of an
# empty POST — anything but a denial); "login" = redirect to the login page;
# "denied" = 401/403 (API without credentials); "404" = hidden.
OK, LOGIN, DENIED, HIDDEN = "ok", "login", "denied", "404"
PROFILES: dict[str, dict[str, str]] = {
    "public": dict.fromkeys(ROLES, OK),
    "to_login": dict.fromkeys(ROLES, LOGIN),
    "page": {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], OK),
    "scoped": {"anonymous": LOGIN, "csm_a1": OK, "csm_a2": HIDDEN, "csm_b1": HIDDEN,
               "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
    "reviewer_page": {"anonymous": LOGIN, "csm_a1": HIDDEN, "csm_a2": HIDDEN, "csm_b1": HIDDEN,
                      "manager_a": OK, "manager_b": OK, "admin": OK},
    "reviewer_scoped": {"anonymous": LOGIN, "csm_a1": HIDDEN, "csm_a2": HIDDEN, "csm_b1": HIDDEN,
                        "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
    "manager_page": {"anonymous": LOGIN, "csm_a1": DENIED, "csm_a2": DENIED, "csm_b1": DENIED,
                     "manager_a": OK, "manager_b": OK, "admin": OK},
    "admin_page": {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:-1], DENIED) | {"admin": OK},
    "api_manager": {"anonymous": DENIED, "csm_a1": DENIED, "csm_a2": DENIED, "csm_b1": DENIED,
                    "manager_a": OK, "manager_b": OK, "admin": OK},
    "api_own_or_lead": {"anonymous": DENIED, "csm_a1": OK, "csm_a2": HIDDEN, "csm_b1": HIDDEN,
                        "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
    "own_record": {"anonymous": LOGIN, "csm_a1": OK} | dict.fromkeys(ROLES[2:], HIDDEN),
    "api": {"anonymous": DENIED} | dict.fromkeys(ROLES[1:], OK),
    "api_scoped": {"anonymous": DENIED, "csm_a1": OK, "csm_a2": HIDDEN, "csm_b1": HIDDEN,
                   "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
    # A machine endpoint (/metrics) that a session never opens: token or address only.
    "machine_only": dict.fromkeys(ROLES, DENIED),
    "api_admin": dict.fromkeys(ROLES[:-1], DENIED) | {"admin": OK},
    # A person of team A (csm_a1) on the people pages: their manager and admins; other
    # managers do not learn they exist; CSMs manage no one.
    "team_person": {"anonymous": LOGIN, "csm_a1": DENIED, "csm_a2": DENIED, "csm_b1": DENIED,
                    "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
    # A saved segment of csm_a1 shared with team A: seen by the team and its manager, changed
    # by its owner and admins only (accounts.saved_segments).
    "segment_owner": {"anonymous": LOGIN, "csm_a1": OK, "csm_a2": DENIED, "csm_b1": HIDDEN,
                      "manager_a": DENIED, "manager_b": HIDDEN, "admin": OK},
    "api_segment_shared": {"anonymous": DENIED, "csm_a1": OK, "csm_a2": OK, "csm_b1": HIDDEN,
                           "manager_a": OK, "manager_b": HIDDEN, "admin": OK},
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    profile: str
    method: str = "get"
    kwargs: tuple[tuple[str, str], ...] = ()  # (url kwarg, target object name)


def e(profile: str, method: str = "get", **kwargs: str) -> Entry:
    return Entry(profile, method, tuple(kwargs.items()))
