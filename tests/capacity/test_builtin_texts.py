"""Built-in presets and segment notes: plain words, in the reader's language."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from capacity import defaults
from capacity.models import CapacityPreset, SegmentRatio

MIGRATION = importlib.import_module("capacity.migrations.0006_builtin_texts_without_source_codes")


def test_no_builtin_text_cites_the_source_articles():
    texts = [preset.citation for preset in defaults.PRESETS] + [ratio.notes for ratio in defaults.RATIOS]
    assert texts
    assert [text for text in texts if "seed 0" in text.lower()] == []


@pytest.mark.django_db
def test_builtin_source_is_shown_in_the_readers_language_and_an_admins_text_as_written(capacity_defaults):
    preset = CapacityPreset.objects.get(name="China: ¥2–5M per CSM")
    with translation.override("zh-hans"):
        assert "成熟的中国 SaaS 公司" in preset.citation_label
    with translation.override("en"):
        assert preset.citation_label.startswith("Mature Chinese SaaS companies")
    preset.citation = "Our own board's number"
    with translation.override("zh-hans"):
        assert preset.citation_label == "Our own board's number"
    ratio = SegmentRatio.objects.get(segment="tech_touch")
    with translation.override("zh-hans"):
        assert "自动化" in ratio.notes_label


@pytest.mark.django_db
def test_the_data_migration_rewrites_only_untouched_builtin_texts(capacity_defaults):
    old_citation, new_citation = MIGRATION.CITATIONS[1]
    old_notes, new_notes = MIGRATION.NOTES[0]
    builtin = CapacityPreset.objects.get(name="China: ¥2–5M per CSM")
    builtin.citation = old_citation
    builtin.save()
    edited = CapacityPreset.objects.get(name="US: 1 CSM per $2M ARR")
    edited.citation = "Edited by our CS ops lead"
    edited.save()
    SegmentRatio.objects.filter(segment="enterprise").update(notes=old_notes)

    MIGRATION.forwards(django_apps, None)

    builtin.refresh_from_db()
    edited.refresh_from_db()
    assert builtin.citation == new_citation
    assert edited.citation == "Edited by our CS ops lead"
    assert SegmentRatio.objects.get(segment="enterprise").notes == new_notes


@pytest.mark.django_db
def test_reading_the_capacity_config_writes_nothing_even_without_its_settings_row(capacity_defaults):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from capacity.models import CapacitySettings
    from capacity.selectors import capacity_config

    CapacitySettings.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        config = capacity_config()
    assert config.settings.working_days_per_year == 200
    assert [query["sql"].split()[0].upper() for query in queries] == ["SELECT"] * len(queries)
    assert not CapacitySettings.objects.exists()
