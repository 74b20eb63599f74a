from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from org.models import CsProfile, Team

from .models import CapacityPreset, CapacitySettings, SegmentRatio
from .team_cache import team_figures_invalidate


@receiver(post_save, sender=CapacitySettings)
@receiver(post_save, sender=CapacityPreset)
@receiver(post_save, sender=SegmentRatio)
@receiver(post_save, sender=CsProfile)
@receiver(post_save, sender=Team)
@receiver(post_delete, sender=CapacityPreset)
@receiver(post_delete, sender=SegmentRatio)
@receiver(post_delete, sender=CsProfile)
@receiver(post_delete, sender=Team)
def capacity_changed(sender: Any, **kwargs: Any) -> None:
    """Limits, presets or teams changed: cached team figures must recompute."""
    team_figures_invalidate()
