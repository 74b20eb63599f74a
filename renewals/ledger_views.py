"""Pages of the ARR ledger: the movements behind a KPI figure (and their CSV), and a
contract's amendments with the form that records a contraction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import AnyUser
from accounts.selectors import account_scope
from config.http import HtmxHttpRequest
from core.csv_export import SafeCsvWriter
from core.dates import FormDateField
from core.forms import form_add_service_errors

from .amendments import contract_amend, contract_amendments
from .forms import KpiForm
from .ledger_kpis import group_owner_keys, period_bucket, scope_sql
from .ledger_sql import group_accounts_sql
from .models import ArrMovement, MovementKind
from .selectors import get_contract_for_user

PAGE_SIZE = 50
COHORT_CHOICES = [
    ("", gettext_lazy("All accounts")),
    ("in", gettext_lazy("Active at the period's start")),
    ("out", gettext_lazy("Not active at the period's start")),
]


class MovementsForm(KpiForm):
    """The KPI page's period and grouping, plus which group, kind and cohort to list."""

    group = forms.CharField(label=gettext_lazy("Group"), required=False, max_length=40)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[("", gettext_lazy("All")), *MovementKind.choices], required=False
    )
    cohort = forms.ChoiceField(label=gettext_lazy("Accounts"), choices=COHORT_CHOICES, required=False)

    @classmethod
    def from_query(cls, query: Any, today: date) -> MovementsForm:
        form = super().from_query(query, today)
        data = form.data.copy() if hasattr(form.data, "copy") else dict(form.data)
        data.update({key: query[key] for key in ("group", "kind", "cohort") if query.get(key)})
        return cls(data)

    def clean_group(self) -> str:
        group = self.cleaned_data.get("group") or ""
        by = self.data.get("group_by")
        if by in ("csm", "team") and group not in ("", "none") and not group.isdigit():
            raise ValidationError(_("Choose a group from the KPI table."))
        return group


def movement_list(*, user: AnyUser, cleaned: dict[str, Any]) -> QuerySet[ArrMovement]:
    """The movements of the period behind one figure, in ``user``'s scope."""
    bucket = period_bucket(cleaned["start"], cleaned["end"])
    movements = ArrMovement.objects.filter(
        account__in=account_scope(user=user).values("pk"), month__gte=bucket.first, month__lte=bucket.last
    )
    if cleaned.get("kind"):
        movements = movements.filter(kind=cleaned["kind"])
    group_by, group = cleaned["group_by"], cleaned.get("group") or ""
    keys: list[Any] | None = None
    if group and group_by != "company":
        keys = group_owner_keys(group_by, group) if group_by in ("csm", "team") else [group]
    cohort = {"in": True, "out": False}.get(cleaned.get("cohort") or "")
    if keys is not None or cohort is not None:
        sql, params = group_accounts_sql(
            bucket=bucket, group_by=group_by, keys=keys, cohort=cohort, scope=scope_sql(user)
        )
        movements = movements.filter(account_id__in=RawSQL(sql, params))  # noqa: S611 - ledger_sql's fixed SQL, values as parameters
    return movements.select_related("account", "account__owner").order_by("month", "account__name", "pk")


@login_required
def arr_movements_view(request: HtmxHttpRequest) -> HttpResponse:
    form = MovementsForm.from_query(request.GET, timezone.localdate())
    if not form.is_valid():
        return render(request, "renewals/arr_movements.html", {"form": form}, status=400)
    movements = movement_list(user=request.user, cleaned=form.cleaned_data)
    totals = {row["kind"]: row["total"] for row in movements.order_by().values("kind").annotate(total=Sum("amount"))}
    page = Paginator(movements, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "totals": [(label, totals.get(kind, Decimal("0"))) for kind, label in MovementKind.choices],
    }
    return render(request, "renewals/arr_movements.html", context)


@login_required
def arr_movements_export_view(request: HtmxHttpRequest) -> HttpResponse:
    form = MovementsForm.from_query(request.GET, timezone.localdate())
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="arr-movements.csv"'
    response.write("\ufeff")
    writer = SafeCsvWriter(response)
    writer.writerow([_("Account"), _("Month"), _("Kind"), _("Amount"), _("ARR before"), _("ARR after")])
    for movement in movement_list(user=request.user, cleaned=form.cleaned_data).iterator(chunk_size=1000):
        writer.writerow(
            [
                movement.account.name,
                movement.month.strftime("%Y-%m"),
                movement.get_kind_display(),
                movement.amount,
                movement.arr_before,
                movement.arr_after,
            ]
        )
    return response


class ContractionForm(forms.Form):
    effective_date = FormDateField(
        label=gettext_lazy("Effective from"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    reduction = forms.DecimalField(
        label=gettext_lazy("ARR reduction"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


@login_required
def contract_amendments_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A contract's amendments; POST records a contraction (a downgrade with a reason)."""
    contract = get_contract_for_user(request.user, pk)
    form = ContractionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                contract_amend(
                    contract=contract,
                    effective_date=form.cleaned_data["effective_date"],
                    arr_delta=-form.cleaned_data["reduction"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                if "arr_delta" in getattr(error, "error_dict", {}):
                    error = ValidationError({"reduction": error.error_dict["arr_delta"]})
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Contraction recorded."))
                return redirect("renewals:contract_amendments", pk=contract.pk)
        status = 400
    context = {"contract": contract, "amendments": contract_amendments(contract=contract), "form": form}
    return render(request, "renewals/contract_amendments.html", context, status=status)
