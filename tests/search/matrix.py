"""Permission-matrix entries of global search (see tests/matrix_support.py).

Every signed-in role may search; what each one finds is scoped (tests/workspace/test_search.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "search:results": e("page"),
    "search:quick": e("page"),
    "api:search": e("api"),
}
