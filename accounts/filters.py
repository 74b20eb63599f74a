"""One FilterSet for the accounts list page and the accounts API."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core.forms import FetchedModelChoiceIterator
from core.people import display_name
from core.widgets import InlineCheckboxSelectMultiple, InlineSelect, InlineSelectMultiple

from .models import Account, AccountStatus, IcpFit, Industry
from .querysets import AccountQuerySet
from .segments import Segment
from .selectors import assignable_owners


def person_name(user: Any) -> str:
    return display_name(user)


def _owner_choices(request: HttpRequest | None) -> QuerySet[Any]:
    """Owners to filter by: only the people whose accounts this user may see."""
    if request is None:
        return get_user_model().objects.none()
    return assignable_owners(user=request.user)


class FetchedChoiceIterator(django_filters.fields.ModelChoiceIterator, FetchedModelChoiceIterator):
    """django-filter's choices (its null choice after the empty one) from one plain query
    (``core.forms.FetchedModelChoiceIterator``, next in the MRO): the sidebar lists the
    owners on every page view."""


class FetchedModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    iterator = FetchedChoiceIterator


class FetchedModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = FetchedModelMultipleChoiceField


def _filter_extensions() -> list[Any]:
    """``HOURGLASS_ACCOUNT_LIST_FILTERS``: dotted paths of ``extend(filterset) -> None``.

    Each may call ``filterset.add_filter(name, Filter)`` and ``filterset.add_ordering(...)``;
    the twin of ``HOURGLASS_ACCOUNT_LIST_ANNOTATORS``, which adds the columns they use.
    """
    return [import_string(path) for path in getattr(settings, "HOURGLASS_ACCOUNT_LIST_FILTERS", [])]


class FieldsOfOneForm(dict[str, forms.Field]):
    """A form class's ``base_fields`` that its one form instance uses as they are.

    ``BaseForm.__init__`` deep-copies ``base_fields`` because a form class usually serves
    every request; a class made for one FilterSet instance serves one form, so the copy
    is the fields themselves (the dict is still a new one).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    # The sidebar renders every option of these on every page view: core.widgets prints
    # them in Python, not through a template include per option.
    segment = django_filters.MultipleChoiceFilter(
        choices=Segment.choices, method="filter_segment", label=_("Segment"), widget=InlineCheckboxSelectMultiple
    )
    industry = django_filters.MultipleChoiceFilter(
        choices=Industry.choices, label=_("Industry"), widget=InlineSelectMultiple
    )
    owner = FetchedModelMultipleChoiceFilter(queryset=_owner_choices, label=_("Owner"), widget=InlineSelectMultiple)
    icp_fit = django_filters.ChoiceFilter(
        choices=IcpFit.choices, label=_("ICP fit"), empty_label=_("Any"), widget=InlineSelect
    )
    status = django_filters.MultipleChoiceFilter(
        choices=AccountStatus.choices, label=_("Status"), widget=InlineCheckboxSelectMultiple
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("arr", "arr"),
            ("go_live_date", "go_live_date"),
            ("updated_at", "updated_at"),
            ("industry", "industry"),
            ("status", "status"),
            ("dossier_score", "dossier_score"),
            ("health_score", "health_score"),
            ("next_renewal_date", "next_renewal_date"),
        ),
        field_labels={
            "name": _("Name"),
            "arr": _("ARR"),
            "go_live_date": _("Go-live date"),
            "updated_at": _("Updated"),
            "industry": _("Industry"),
            "status": _("Status"),
            "dossier_score": _("Dossier completeness"),
            "health_score": _("Health score"),
            "next_renewal_date": _("Next renewal"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Account
        fields = ["q", "segment", "industry", "owner", "icp_fit", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Other apps' filters and sort keys (accounts imports no app, so by name), added
        # before the form is built so that page, htmx partial and API all get them.
        for extend in _filter_extensions():
            extend(self)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["owner"].label_from_instance = person_name

    def get_form_class(self) -> type[forms.Form]:
        form_class = super().get_form_class()
        # django-filter makes a form class per FilterSet, from the fields of this
        # instance's own (deep-copied) filters; Django's form would deep-copy those
        # fields once more, choices and all, on every page view.
        form_class.base_fields = FieldsOfOneForm(form_class.base_fields)
        return form_class

    def add_filter(self, name: str, filter_: django_filters.Filter) -> None:
        """An extension's filter, shown in the form before the sort order."""
        self.filters[name] = filter_
        ordering = self.filters.pop("ordering")
        self.filters["ordering"] = ordering

    def add_ordering(self, field: str, param: str, label: str) -> None:
        """An extension's sort key: ``?ordering=param`` sorts by ``field`` (an annotation)."""
        ordering = self.filters["ordering"]
        assert isinstance(ordering, django_filters.OrderingFilter)
        ordering.param_map[param] = field
        ordering.extra["choices"] = [
            *ordering.extra["choices"],
            (param, label),
            (f"-{param}", ordering.descending_fmt % label),
        ]
        # The form field may have been built (and copied along) already, e.g. by the
        # schema generator reading the class's filters: build it again with the choices.
        ordering.__dict__.pop("_field", None)

    def filter_search(self, queryset: AccountQuerySet, name: str, value: str) -> AccountQuerySet:
        return queryset.search(value)

    def filter_segment(self, queryset: AccountQuerySet, name: str, value: list[str]) -> AccountQuerySet:
        if not value:
            return queryset
        return queryset.in_segments(list(value))

    @property
    def qs(self) -> QuerySet[Account]:
        queryset = super().qs
        # A stable order for pagination: ties broken by primary key.
        ordering = list(queryset.query.order_by) or ["name"]
        if "pk" not in ordering and "-pk" not in ordering:
            ordering.append("pk")
        return queryset.order_by(*ordering)
