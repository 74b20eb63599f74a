"""Confirm-with-reason: the rule behind the actions that are hard to take back.

"Mark as left", applying a rebalancing and closing a renewal ask for a reason in a
confirmation step on the page, and the API asks for it too. The reason is stored with
the action (the body of its timeline entry) so whoever reads the timeline later knows
why. ``reason_clean`` is the one check (services call it); ``ConfirmReasonForm`` is the
step's form: ``step=confirm`` tells a confirmation from the first submit of the action.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

REASON_MAX_LENGTH = 500
CONFIRM_STEP = "confirm"


def reason_clean(reason: str | None, *, required: bool = True) -> str:
    """The reason stripped; a ValidationError naming ``reason`` when missing or too long."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Say why (a reason is required).")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}}
        )
    return reason


class ConfirmReasonForm(forms.Form):
    step = forms.CharField(widget=forms.HiddenInput, initial=CONFIRM_STEP, required=False, max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": REASON_MAX_LENGTH}),
        help_text=gettext_lazy("Shown on the account's timeline."),
    )

    def clean_reason(self) -> str:
        try:
            return reason_clean(self.cleaned_data.get("reason"))
        except ValidationError as error:
            raise ValidationError(error.message_dict["reason"]) from error

    @staticmethod
    def is_confirmation(data: object) -> bool:
        """Whether a POST is the confirmation step (not the action's first submit)."""
        return getattr(data, "get", lambda key: None)("step") == CONFIRM_STEP
