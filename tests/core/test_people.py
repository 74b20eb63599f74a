from __future__ import annotations

from types import SimpleNamespace

from core.people import display_name, name_from_parts


def test_chinese_names_family_name_first_without_space():
    assert name_from_parts("伟", "李", "csm.li") == "李伟"
    assert name_from_parts("Emma", "Clark", "csm.emma") == "Emma Clark"
    assert name_from_parts("", "", "csm.zhao") == "csm.zhao"


def test_display_name_of_a_user_and_of_nobody():
    user = SimpleNamespace(first_name="芳", last_name="王", get_username=lambda: "csm.wang")
    assert display_name(user) == "王芳"
    assert display_name(None) == ""
