from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from .segments import arr_range_for_segment, segment_case

if TYPE_CHECKING:
    from .models import Account  # noqa: F401


class AccountQuerySet(models.QuerySet["Account"]):
    def with_segment(self) -> AccountQuerySet:
        return self.annotate(segment_key=segment_case("arr"))

    def in_segments(self, segments: list[str]) -> AccountQuerySet:
        """Filter by segment through ARR ranges, so PostgreSQL can use the ARR index."""
        condition = models.Q(pk__in=[])
        for segment in segments:
            lower, upper = arr_range_for_segment(segment)
            part = models.Q()
            if lower is not None:
                part &= models.Q(arr__gte=lower)
            if upper is not None:
                part &= models.Q(arr__lt=upper)
            condition |= part
        return self.filter(condition)

    def search(self, text: str) -> AccountQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(models.Q(name__icontains=text) | models.Q(external_id__iexact=text))
