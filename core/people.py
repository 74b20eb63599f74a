"""How a person's name is shown everywhere (pages, emails, CSV, API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from core.types import AnyUser


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def name_from_parts(first: str, last: str, username: str) -> str:
    """李伟 for Chinese names (family name first, no space), "Emma Clark" otherwise."""
    first, last = (first or "").strip(), (last or "").strip()
    if not (first or last):
        return str(username)
    if _is_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def display_name(user: Any) -> str:
    if user is None:
        return ""
    return name_from_parts(user.first_name, user.last_name, user.get_username())


def person_or_none(user: AnyUser | None) -> User | None:
    """The signed-in person behind ``user``, or None (anonymous, a system run, nobody).

    For "who did it" columns (history user, created by, actor): they point at a person
    or stay empty.
    """
    if user is None or not user.is_authenticated:
        return None
    return user  # type: ignore[return-value]
