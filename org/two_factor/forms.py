"""The one field every two-factor form has: a code from the app, or a backup code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import BACKUP_CODE, TOTP_CODE


class CodeForm(forms.Form):
    """A current code from the authenticator app, or (``backup_allowed``) a backup code."""

    backup_allowed = True

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        # People copy codes with spaces or dashes ("123 456", "abcd-efgh"): ignore them.
        code = "".join(str(self.cleaned_data["code"]).split()).replace("-", "").lower()
        if TOTP_CODE.fullmatch(code) or (self.backup_allowed and BACKUP_CODE.fullmatch(code)):
            return code
        if self.backup_allowed:
            raise forms.ValidationError(_("Enter the 6-digit code from your app, or one of your backup codes."))
        raise forms.ValidationError(_("Enter the 6-digit code from your app."))


class EnrolForm(CodeForm):
    """The first code of a newly set-up app (backup codes do not exist yet)."""

    backup_allowed = False
