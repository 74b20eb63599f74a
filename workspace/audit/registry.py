"""Every model with history (django-simple-history), found at start-up, and how a history
row of each relates to an account and to a person (for scoping and filters).

A model registered with ``HistoricalRecords()`` anywhere appears here by itself: its
account is the model itself (``Account``) or its first foreign key to ``Account``; its
subject person is the user itself (``User``) or a foreign key named ``user``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from simple_history.models import registered_models

from accounts.models import Account


@dataclass(frozen=True)
class AuditedModel:
    key: str  # "playbooks.task": sorts the models, names them in filters and cursors
    model: type[models.Model]
    historical: type[models.Model]
    account_field: str | None  # attname on the history row holding the account id
    account_relation: str | None  # the history row's foreign key to the account, for select_related
    person_field: str | None  # attname holding the id of the person the row is about
    title_field: str | None  # a short text naming the object (title, name …)

    @property
    def label(self) -> str:
        return str(capfirst(self.model._meta.verbose_name))


def _account_link(model: type[models.Model]) -> tuple[str | None, str | None]:
    if model is Account:
        return "id", None
    for field in model._meta.fields:
        if field.is_relation and field.related_model is Account:
            return field.attname, field.name
    return None, None


def _person_field(model: type[models.Model]) -> str | None:
    if model is get_user_model():
        return "id"
    for field in model._meta.fields:
        if field.is_relation and field.name == "user" and field.related_model is get_user_model():
            return field.attname
    return None


def _title_field(model: type[models.Model]) -> str | None:
    names = {field.name for field in model._meta.fields}
    return next((name for name in ("title", "name", "username", "key") if name in names), None)


@functools.cache
def audited_models() -> tuple[AuditedModel, ...]:
    found = []
    for model in registered_models.values():
        account_field, account_relation = _account_link(model)
        found.append(
            AuditedModel(
                key=model._meta.label_lower,
                model=model,
                historical=model.history.model,
                account_field=account_field,
                account_relation=account_relation,
                person_field=_person_field(model),
                title_field=_title_field(model),
            )
        )
    return tuple(sorted(found, key=lambda audited: audited.key))


def audited_by_key() -> dict[str, AuditedModel]:
    return {audited.key: audited for audited in audited_models()}


def model_choices() -> list[tuple[str, str]]:
    return sorted(((a.key, a.label) for a in audited_models()), key=lambda choice: choice[1])


def field_of(audited: AuditedModel, name: str) -> Any:
    try:
        return audited.model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the row was written
        return None
