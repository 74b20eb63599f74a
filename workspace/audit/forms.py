"""The audit log's filters: every bad value is a form error naming its field, never a 500."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import account_scope
from core.audit_source import SourceKind
from core.dates import FormDateTimeField
from core.people import display_name
from core.types import AnyUser

from .logins import KINDS, LoginQuery
from .registry import model_choices
from .selectors import AuditQuery, Cursor, audit_people

EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
MAX_ID = 2**63 - 1


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj)


def _bounded(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(_("Enter a date between 1990 and 2100."))
    return value


class _DateRangeForm(forms.Form):
    date_from = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["person"] = PersonChoiceField(
            label=_("Person"), queryset=audit_people(user=user), required=False, empty_label=_("Everyone")
        )
        self.order_fields(["person"])
        for bound in self.fields.values():
            css = "form-select form-select-sm" if _is_select(bound) else "form-control form-control-sm"
            bound.widget.attrs.setdefault("class", css)

    def clean_date_from(self) -> date | None:
        return _bounded(self.cleaned_data.get("date_from"))

    def clean_date_to(self) -> date | None:
        return _bounded(self.cleaned_data.get("date_to"))

    def labelled_errors(self) -> list[tuple[str, list[str]]]:
        """Errors under the field's label (the hidden position too), for the page."""
        return [
            (str(self.fields[name].label) if name in self.fields else "", [str(error) for error in errors])
            for name, errors in self.errors.items()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


def _is_select(field: forms.Field) -> bool:
    return isinstance(field.widget, forms.Select)


class AuditFilterForm(_DateRangeForm):
    account = forms.IntegerField(label=_("Account id"), required=False, min_value=1, max_value=MAX_ID)
    model = forms.ChoiceField(label=_("Record type"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    before = forms.CharField(label=_("Position in the log"), required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["model"].choices = [("", _("All records")), *model_choices()]  # type: ignore[attr-defined]
        self.fields["source"].choices = [("", _("Any source")), *SourceKind.choices]  # type: ignore[attr-defined]
        self.account_name = ""

    def clean_account(self) -> int | None:
        account_id = self.cleaned_data.get("account")
        if account_id is None:
            return None
        account = account_scope(user=self.user).filter(pk=account_id).only("name").first()
        if account is None:
            # The same words for an account out of scope as for none: nothing is revealed.
            raise forms.ValidationError(_("No account with this id that you can see."))
        self.account_name = account.name
        return account_id

    def clean_before(self) -> Cursor | None:
        text = self.cleaned_data.get("before") or ""
        if not text:
            return None
        try:
            return Cursor.decode(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not a valid position in the log; start again from the newest.")) from exc

    def query(self) -> AuditQuery:
        data = self.cleaned_data
        person = data.get("person")
        return AuditQuery(
            person_id=person.pk if person is not None else None,
            account_id=data.get("account"),
            model_key=data.get("model") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            source=data.get("source") or None,
            before=data.get("before"),
        )


class LoginFilterForm(_DateRangeForm):
    kind = forms.ChoiceField(label=_("Event"), required=False)
    before = FormDateTimeField(label=_("Position in the log"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["kind"].choices = [("", _("Any event")), *KINDS.items()]  # type: ignore[attr-defined]

    def query(self) -> LoginQuery:
        data = self.cleaned_data
        person = data.get("person")
        before: datetime | None = data.get("before")
        return LoginQuery(
            username=person.get_username() if person is not None else None,
            kind=data.get("kind") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            before=before,
        )
