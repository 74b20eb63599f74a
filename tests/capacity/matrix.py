"""Permission-matrix entries of the capacity rebalancing pages."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "capacity:rebalance": e("manager_page"),
    "capacity:rebalance_apply": e("manager_page", "post"),
}
