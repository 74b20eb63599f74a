"""The column chooser: which optional columns a person hides on a wide table.

The table's markup names its optional columns (``data-col`` on each cell; the name
column has none, so it always stays); ``{% column_classes "book" %}`` prints the
person's hidden ones as ``hg-hide-<key>`` classes for the table (``static/css/
columns.css`` hides those cells), read once per request whatever the number of rows;
the "Columns" menu (``partials/_column_menu.html``, ``static/js/columns.js``) toggles a
class at once and saves the choice here. Unknown keys are ignored when read, so a
column that is removed from a table needs no migration.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.types import AnyUser

from .preference_models import ColumnPreference

# The tables with a column chooser (the book, the renewals list, the team page).
TABLES = ("book", "renewals", "team")
MAX_HIDDEN = 40
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CACHE = "_hg_hidden_columns"


def hidden_columns(*, user: AnyUser, table: str, request: HttpRequest | None = None) -> list[str]:
    """The columns ``user`` hides on ``table``; one query, kept on ``request`` if given."""
    if not user.is_authenticated or table not in TABLES:
        return []
    cache: dict[str, list[str]] | None = getattr(request, _CACHE, None) if request is not None else None
    if cache is not None and table in cache:
        return cache[table]
    row = ColumnPreference.objects.filter(user_id=user.pk, table=table).values_list("hidden", flat=True).first()
    hidden = [key for key in (row or []) if isinstance(key, str) and _KEY.match(key)]
    if request is not None:
        setattr(request, _CACHE, (cache or {}) | {table: hidden})
    return hidden


def clean_hidden(values: Any) -> list[str]:
    keys = sorted({str(value) for value in values or []})
    if len(keys) > MAX_HIDDEN or any(not _KEY.match(key) for key in keys):
        raise ValidationError({"hidden": _("Choose columns from the menu.")})
    return keys


@transaction.atomic
def column_preference_set(*, user: AnyUser, table: str, hidden: Any) -> list[str]:
    """Save the columns ``user`` hides on ``table`` (replacing the earlier choice)."""
    if table not in TABLES:
        raise ValidationError({"table": _("No such table.")})
    keys = clean_hidden(hidden)
    ColumnPreference.objects.update_or_create(user_id=user.pk, table=table, defaults={"hidden": keys})
    return keys


@login_required
@require_POST
def column_preference_view(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404("No such table.")
    try:
        keys = column_preference_set(user=request.user, table=table, hidden=request.POST.getlist("hidden"))
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)
    return JsonResponse({"hidden": keys})
