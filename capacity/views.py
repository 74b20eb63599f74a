from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .models import CsProfile


@require_POST
def language_set_view(request: HttpRequest) -> HttpResponse:
    """Django's set_language, plus: remember the choice on the person's profile
    (emails are sent in it, and it follows them to other browsers)."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        CsProfile.objects.filter(user=request.user).update(language=language)
    return response
