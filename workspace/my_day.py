"""My day: the CSM's home page (the first page after login) — today's tasks, alerts,
renewals coming up, health drops and overdue contacts, in constant queries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from config.http import HtmxHttpRequest
from playbooks.selectors import my_day


@login_required
def my_day_view(request: HtmxHttpRequest) -> HttpResponse:
    day = my_day(user=request.user)
    return render(request, "workspace/my_day.html", {"day": day, "book": day.book, "compact": True})
