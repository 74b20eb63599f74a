"""Built-in playbook and capacity-preset texts are stored in English and shown in the
reader's language; an admin's own wording is shown as typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from capacity import defaults as capacity_defaults
from capacity.models import CapacityPreset
from capacity.services import capacity_defaults_ensure
from playbooks.defaults import DEFAULT_PLAYBOOKS, install_default_playbooks
from playbooks.models import Playbook, PlaybookStep


def playbook_texts() -> list[str]:
    texts = []
    for spec in DEFAULT_PLAYBOOKS:
        texts += [spec["name"], spec.get("description", "")]
        for item in spec["steps"]:
            texts += [item["title"], item.get("description", ""), *item.get("checklist", [])]
    return [text for text in texts if text]


def test_every_builtin_playbook_text_has_a_chinese_translation():
    texts = playbook_texts()
    assert len(texts) > 80
    with translation.override("zh-hans"):
        untranslated = [text for text in texts if translation.gettext(text) == text]
    assert untranslated == []


def test_every_builtin_capacity_text_has_a_chinese_translation():
    texts = [text for preset in capacity_defaults.PRESETS for text in (preset.name, preset.citation)]
    texts += [ratio.notes for ratio in capacity_defaults.RATIOS]
    with translation.override("zh-hans"):
        assert [text for text in texts if translation.gettext(text) == text] == []


@pytest.mark.django_db
def test_playbooks_render_in_the_readers_language_at_read_time():
    install_default_playbooks(Playbook, PlaybookStep)
    playbook = Playbook.objects.get(key="promotion-month")
    assert playbook.name == "Promotion month"  # stored in English
    step = playbook.steps.order_by("order").first()
    assert step is not None
    with translation.override("zh-hans"):
        assert playbook.display_name == "推广期"
        assert "30 天" in playbook.display_description
        assert str(step) == "商定并执行培训计划"
    with translation.override("en"):
        assert str(step) == "Agree and run the training plan"
    playbook.name = "Our own promotion month"
    with translation.override("zh-hans"):
        assert playbook.display_name == "Our own promotion month"


@pytest.mark.django_db
def test_preset_names_render_in_the_readers_language_and_an_admins_as_written(db: Any):
    capacity_defaults_ensure()
    preset = CapacityPreset.objects.get(name="China: ¥2–5M per CSM")
    with translation.override("zh-hans"):
        assert preset.name_label == "中国：每名客户成功经理 ¥200–500 万"
        assert str(preset) == preset.name_label
    with translation.override("en"):
        assert str(preset) == "China: ¥2–5M per CSM"
    preset.name = "Our board's ratio"
    with translation.override("zh-hans"):
        assert str(preset) == "Our board's ratio"
