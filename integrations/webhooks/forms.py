from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import Team

from .chat import NOTIFICATION_KINDS
from .events import event_type_choices
from .models import CHAT_KINDS
from .security import url_check_syntax


class _UrlForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        url_check_syntax(url)  # the address itself is checked by the service (SSRF guard)
        return str(url)


class WebhookForm(_UrlForm):
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=event_type_choices, widget=forms.CheckboxSelectMultiple
    )


class ChatTargetForm(_UrlForm):
    kind = forms.ChoiceField(label=_("Chat app"), choices=[(k.value, k.label) for k in CHAT_KINDS])
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk and Feishu robots with signing on: the secret they show. Stored encrypted."),
    )
    notification_kinds = forms.MultipleChoiceField(
        label=_("Notifications to send"),
        choices=list(NOTIFICATION_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # the platform and the secret stay as they were
            del self.fields["kind"], self.fields["secret"]


class TeamChatTargetForm(ChatTargetForm):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), empty_label=_("Choose a team")
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, editing=editing, **kwargs)
        if editing:
            del self.fields["team"]
