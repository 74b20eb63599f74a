"""The CRM sync API, mounted under /api/v1/ (no trailing slash, as documented)."""

from __future__ import annotations

from django.urls import path

from .api import AccountsSyncView, ContractsSyncView, StakeholdersSyncView

urlpatterns = [
    path("sync/accounts", AccountsSyncView.as_view(), name="crm-sync-accounts"),
    path("sync/stakeholders", StakeholdersSyncView.as_view(), name="crm-sync-stakeholders"),
    path("sync/contracts", ContractsSyncView.as_view(), name="crm-sync-contracts"),
]
