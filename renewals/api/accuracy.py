"""API of the forecast accuracy report (``renewals.accuracy``): the same figures, period,
grouping and scope as ``/renewals/forecast-accuracy/``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..accuracy import GROUPINGS, Accuracy, AccuracyRow, forecast_accuracy
from ..accuracy_views import AccuracyForm


def _ratio() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2)


class AccuracyFiguresSerializer(serializers.Serializer):
    renewals = serializers.IntegerField()
    own_calls = serializers.IntegerField()
    kept = serializers.IntegerField()
    csm_brier = _ratio()
    signal_brier = _ratio()
    csm_called_right = _ratio()
    signal_called_right = _ratio()
    csm_forecast_arr = _money()
    signal_forecast_arr = _money()
    outcome_arr = _money()


class AccuracyQuarterSerializer(AccuracyFiguresSerializer):
    quarter = serializers.DateField(read_only=True, help_text="The first day of the quarter of the renewal date.")


class AccuracyGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs type Field.label
    total = AccuracyFiguresSerializer()
    quarters = AccuracyQuarterSerializer(many=True)


class HealthBandSerializer(serializers.Serializer):
    band = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs type Field.label
    renewals = serializers.IntegerField()
    churned = serializers.IntegerField()
    churn_rate = _ratio()
    arr = _money()
    churned_arr = _money()
    arr_churn_rate = _ratio()


class AccuracyReportSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    group_by = serializers.CharField()
    groups = AccuracyGroupSerializer(many=True)
    quarters = AccuracyQuarterSerializer(many=True)
    total = AccuracyFiguresSerializer()
    health_bands = HealthBandSerializer(many=True)


FIGURE_NAMES = tuple(AccuracyFiguresSerializer._declared_fields)
BAND_NAMES = tuple(HealthBandSerializer._declared_fields)


def _figures(accuracy: Accuracy) -> dict[str, Any]:
    return {name: getattr(accuracy, name) for name in FIGURE_NAMES}


def _group(row: AccuracyRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "total": _figures(row.total),
        "quarters": [{"quarter": first, **_figures(row.quarters[first])} for first in sorted(row.quarters)],
    }


class ForecastAccuracyView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD; default: the last four full quarters"),
            OpenApiParameter("end", str, description="YYYY-MM-DD"),
            OpenApiParameter("group_by", str, enum=list(GROUPINGS), description="default: csm"),
        ],
        responses=AccuracyReportSerializer,
    )
    def get(self, request: Request) -> Response:
        """The CSMs' calls and the signal against the outcomes of the closed renewals due in
        the period, per group and quarter, and churn per health colour, in the caller's scope."""
        form = AccuracyForm.from_query(request.query_params, timezone.localdate())
        if not form.is_valid():
            return Response(form.errors.get_json_data(), status=400)
        data = form.cleaned_data
        report = forecast_accuracy(user=request.user, start=data["start"], end=data["end"], group_by=data["group_by"])
        payload = {
            "start": report.start,
            "end": report.end,
            "group_by": report.group_by,
            "groups": [_group(row) for row in report.rows],
            "quarters": [{"quarter": row.key, **_figures(row.total)} for row in report.quarters],
            "total": _figures(report.total),
            "health_bands": [{name: getattr(band, name) for name in BAND_NAMES} for band in report.bands],
        }
        return Response(AccuracyReportSerializer(payload).data)
