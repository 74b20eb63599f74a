"""Chat robots: each platform's documented message card, its signing, its answer.

Feishu/Lark custom bot: ``msg_type: interactive`` card; signature = base64(HMAC-SHA256
with key ``"<timestamp>\\n<secret>"`` over nothing), sent as ``timestamp``/``sign`` in the body.
DingTalk custom robot: ``msgtype: actionCard``; signature = base64(HMAC-SHA256 with the
secret over ``"<timestamp ms>\\n<secret>"``), sent as ``timestamp``/``sign`` query parameters.
WeCom group robot: ``msgtype: markdown`` (no signing). Slack incoming webhook: Block Kit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote_plus

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Kind

# Notification kinds a person or team may forward to chat (core.notifications kinds).
NOTIFICATION_KINDS: dict[str, Any] = {
    "activity_drop": gettext_lazy("Activity-drop alerts"),
    "renewal_reminder": gettext_lazy("Renewal reminders"),
    "dossier_review": gettext_lazy("Dossier reviews"),
    "feedback_status": gettext_lazy("Product feedback status"),
    "case_reviewed": gettext_lazy("Best-practice case reviewed"),
}


def message_payload(*, kind: str, title: str, body: str, url: str) -> dict[str, Any]:
    """The platform's JSON for one notification; call inside the reader's language."""
    button = _("Open in Hourglass")
    if kind == Kind.FEISHU:
        elements: list[dict[str, Any]] = []
        if body:
            elements.append({"tag": "div", "text": {"tag": "lark_md", "content": body}})
        if url:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": button},
                            "type": "primary",
                            "url": url,
                        }
                    ],
                }
            )
        header = {"title": {"tag": "plain_text", "content": title}, "template": "blue"}
        return {"msg_type": "interactive", "card": {"header": header, "elements": elements}}
    if kind == Kind.DINGTALK:
        text = f"### {title}\n\n{body}"
        card: dict[str, Any] = {"title": title, "text": text}
        if url:
            card |= {"singleTitle": button, "singleURL": url}
        return {"msgtype": "actionCard", "actionCard": card}
    if kind == Kind.WECOM:
        content = f"**{title}**\n{body}" + (f"\n[{button}]({url})" if url else "")
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind == Kind.SLACK:
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*" + (f"\n{body}" if body else "")}}
        ]
        if url:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [{"type": "button", "text": {"type": "plain_text", "text": button}, "url": url}],
                }
            )
        return {"text": title, "blocks": blocks}
    raise ValueError(f"not a chat kind: {kind}")


def feishu_sign(*, secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def chat_request(*, kind: str, url: str, payload: dict[str, Any], secret: str, now: float) -> tuple[str, bytes]:
    """(URL, body) to POST now: signed when the robot has a signing secret."""
    body = dict(payload)
    if secret and kind == Kind.FEISHU:
        timestamp = int(now)
        body |= {"timestamp": str(timestamp), "sign": feishu_sign(secret=secret, timestamp=timestamp)}
    if secret and kind == Kind.DINGTALK:
        timestamp_ms = int(now * 1000)
        separator = "&" if "?" in url else "?"
        sign = quote_plus(dingtalk_sign(secret=secret, timestamp_ms=timestamp_ms))
        url += f"{separator}timestamp={timestamp_ms}&sign={sign}"
    return url, json.dumps(body, ensure_ascii=False).encode()


def chat_answer_error(kind: str, content: bytes) -> str:
    """The platform's error in a 200 answer (Feishu ``code``, DingTalk/WeCom ``errcode``)."""
    if kind == Kind.SLACK:
        return ""
    try:
        answer = json.loads(content or b"{}")
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    code = answer.get("code", answer.get("errcode", answer.get("StatusCode", 0)))
    if code in (0, None, "0"):
        return ""
    return f"{kind} error {code}: {answer.get('msg') or answer.get('errmsg') or ''}"[:500]
