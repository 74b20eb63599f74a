"""Two-factor pages: enrol and manage (/security/two-factor/), verify after the password,
and an admin's reset of another person's second factor."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.http import safe_next

from .forms import CodeForm, EnrolForm
from .services import (
    BACKUP_CODE_COUNT,
    CodeCheck,
    backup_codes_left,
    backup_codes_regenerate,
    can_reset_two_factor,
    enrolment_key_new,
    has_two_factor,
    otpauth_url,
    qr_svg,
    secret_for_display,
    session_mark_verified,
    two_factor_disable,
    two_factor_enrol,
    two_factor_required,
    two_factor_reset,
    two_factor_verify,
)

# The secret of an enrolment not yet confirmed: kept in the session, so a reload shows
# the same QR code and nothing is stored until the first code proves the app has it.
PENDING_KEY = "_hourglass_2fa_pending_key"
MAX_PK = 2**63 - 1


def _locked_out(request: HttpRequest, username: str) -> HttpResponse:
    """Too many wrong codes: the half-open session ends and the lockout page answers."""
    logout(request)
    return get_lockout_response(request, None, {"username": username})


def _page(
    request: HttpRequest, *, form: CodeForm | None = None, backup_codes: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "required": two_factor_required(user),
        "backup_codes": backup_codes,
        "backup_code_count": BACKUP_CODE_COUNT,
        "next": safe_next(request, "my_day"),
    }
    if has_two_factor(user):
        context |= {"enabled": True, "form": form or CodeForm(), "codes_left": backup_codes_left(user)}
    else:
        key = request.session.setdefault(PENDING_KEY, enrolment_key_new())
        url = otpauth_url(user, key)
        context |= {
            "enabled": False,
            "form": form or EnrolForm(),
            "qr_svg": qr_svg(url),
            "secret": secret_for_display(key),
        }
    return render(request, "org/two_factor/manage.html", context, status=status)


def _enrol(request: HttpRequest) -> HttpResponse:
    form = EnrolForm(request.POST)
    key = request.session.get(PENDING_KEY)
    if not key:
        form.add_error(None, _("This setup has expired: scan the new QR code and enter its code."))
    elif form.is_valid():
        try:
            device, codes = two_factor_enrol(user=request.user, key=key, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(PENDING_KEY, None)
            session_mark_verified(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return _page(request, backup_codes=codes)
    return _page(request, form=form, status=400)


def _regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = backup_codes_regenerate(user=request.user)
    except ValidationError:
        return redirect("two_factor:manage")
    return _page(request, backup_codes=codes)


def _disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        username = request.user.get_username()
        try:
            result = two_factor_disable(request=request, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.locked:
                return _locked_out(request, username)
            if result.device is not None:
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("two_factor:manage")
            form.add_error("code", result.error)
    return _page(request, form=form, status=400)


@never_cache
@login_required
def manage_view(request: HttpRequest) -> HttpResponse:
    """Enrol (QR code, secret, first code), then backup codes and turning it off."""
    if request.method == "POST":
        actions = {"enrol": _enrol, "regenerate": _regenerate, "disable": _disable}
        action = actions.get(request.POST.get("action", ""))
        if action is None:
            return _page(request, status=400)
        return action(request)
    return _page(request)


@never_cache
@login_required
def verify_view(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a backup code."""
    user = request.user
    if getattr(user, "otp_device", None) is not None or not has_two_factor(user):
        return redirect(safe_next(request, "my_day"))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            username = user.get_username()
            result: CodeCheck = two_factor_verify(request=request, code=form.cleaned_data["code"])
            if result.locked:
                return _locked_out(request, username)
            if result.device is not None:
                return redirect(safe_next(request, "my_day"))
            form.add_error("code", result.error)
    context = {"form": form, "next": safe_next(request, "my_day")}
    return render(request, "org/two_factor/verify.html", context, status=status)


@login_required
@require_POST
def reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """An admin removes another person's second factor (a lost phone)."""
    if not can_reset_two_factor(request.user):
        raise PermissionDenied
    if user_id > MAX_PK:
        raise Http404
    person = get_object_or_404(get_user_model(), pk=user_id)
    if two_factor_reset(person, actor=request.user):
        messages.success(request, _("Two-factor authentication was reset for %(person)s.") % {"person": person})
    else:
        messages.info(request, _("%(person)s had no two-factor authentication.") % {"person": person})
    return redirect(safe_next(request, "two_factor:manage"))
