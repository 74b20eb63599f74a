"""Permission-matrix entries of the CRM sync API (see tests/matrix_support.py): managers
and admins may sync (an empty POST is a 400 naming ``rows``), CSMs are refused (403),
anonymous callers 401; scope denial row by row is tested in test_sync_api.py."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "api:crm-sync-accounts": e("api_manager", "post"),
    "api:crm-sync-stakeholders": e("api_manager", "post"),
    "api:crm-sync-contracts": e("api_manager", "post"),
}
