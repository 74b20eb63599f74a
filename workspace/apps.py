from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The screens that combine apps: the book, the account page, My day, the team page."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts.signals import stakeholder_erased

        from .search.receivers import search_index_after_erasure, search_index_after_migrate

        post_migrate.connect(search_index_after_migrate, dispatch_uid="workspace_search_index")
        stakeholder_erased.connect(search_index_after_erasure, dispatch_uid="workspace_search_erasure")
