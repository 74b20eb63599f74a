"""Industries: customers are grouped by them and CSMs specialise in them (domain.md §5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail & consumer")
    INTERNET = "internet", _("Internet & software")
    FINANCE = "finance", _("Financial services")
    EDUCATION = "education", _("Education")
    HEALTHCARE = "healthcare", _("Healthcare")
    LOGISTICS = "logistics", _("Logistics")
    REAL_ESTATE = "real_estate", _("Real estate & construction")
    PROFESSIONAL_SERVICES = "professional_services", _("Professional services")
    ENERGY = "energy", _("Energy & utilities")
    PUBLIC_SECTOR = "public_sector", _("Public sector")
    OTHER = "other", _("Other")
