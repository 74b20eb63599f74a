"""Admin pages for a contact's personal data: the JSON export and the erasure form.

Role first, then scope: a manager or CSM gets 403 whichever stakeholder they name (so
the answer reveals nothing), an admin gets 404 for a stakeholder id that is not of the
account in the URL.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors

from .models import Account, Stakeholder
from .privacy import (
    can_manage_personal_data,
    is_erased,
    personal_data_json,
    stakeholder_erase,
    stakeholder_personal_data_export,
)
from .selectors import get_account_for_user


class ErasureConfirmForm(forms.Form):
    confirm_name = forms.CharField(
        label=gettext_lazy("Type the contact's name to confirm"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "autocomplete": "off"}),
    )


def _admin_stakeholder(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> tuple[Account, Stakeholder]:
    if not can_manage_personal_data(request.user):
        raise PermissionDenied
    account = get_account_for_user(request.user, pk)
    return account, get_object_or_404(Stakeholder.objects.select_related("account"), pk=stakeholder_pk, account=account)


@login_required
def stakeholder_export_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    _account, stakeholder = _admin_stakeholder(request, pk, stakeholder_pk)
    body = personal_data_json(stakeholder_personal_data_export(stakeholder=stakeholder, actor=request.user))
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stakeholder-{stakeholder.pk}-personal-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def stakeholder_erase_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    account, stakeholder = _admin_stakeholder(request, pk, stakeholder_pk)
    form = ErasureConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _record, erased = stakeholder_erase(
                actor=request.user, stakeholder=stakeholder, confirm_name=form.cleaned_data["confirm_name"]
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            if erased:
                messages.success(request, _("The contact's personal data was erased."))
            else:
                messages.info(request, _("This contact's personal data was already erased."))
            return redirect("accounts:detail", pk=account.pk)
    context = {"form": form, "account": account, "stakeholder": stakeholder, "already_erased": is_erased(stakeholder)}
    return render(request, "accounts/stakeholder_erase.html", context)
