"""Column mappings: a CRM's standard export → the fields Hourglass syncs (docs/crm-sync.md).

One small declarative table per CRM and entity: each Hourglass field lists the export
headers that carry it (matched without regard to case or spaces, so a Salesforce Data
Loader export's API names and a report export's labels both map). Columns a mapping does
not name are ignored: an export has dozens, and must import without editing.

``hourglass`` is the identity mapping: the CSV import's own column names (and the
contract fields of the sync API); the CRM mappings cover accounts and stakeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from accounts.imports.parsing import ACCOUNT_COLUMNS, STAKEHOLDER_COLUMNS, choice_lookup
from org.industries import Industry

from .contracts import CONTRACT_COLUMNS

ENTITIES = ("accounts", "stakeholders", "contracts")


@dataclass(frozen=True)
class ColumnMapping:
    """Where each synced field comes from, and how a CRM's industry values translate."""

    columns: Mapping[str, tuple[str, ...]]  # Hourglass field -> export headers, first found wins
    # Headers whose cells are joined with a space into one field (first + last name).
    joined: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    industries: Mapping[str, str] = field(default_factory=dict)  # normalised CRM value -> Industry


def normalise(header: str) -> str:
    """``"Annual Revenue"``, ``"annualrevenue"`` and ``"ANNUAL_REVENUE"`` are one header."""
    return "".join(ch for ch in header.lower() if ch.isalnum())


# Salesforce's standard Industry picklist, and HubSpot's industry labels and internal
# values (normalised), onto Hourglass's industries; any other value becomes "other".
_INDUSTRIES = {
    Industry.MANUFACTURING: (
        "manufacturing", "machinery", "chemicals", "electronics", "apparel", "automotive", "engineering",
        "mechanicalorindustrialengineering", "industrialautomation", "electricalelectronicmanufacturing",
        "consumerelectronics", "textiles",
    ),
    Industry.RETAIL: (
        "retail", "foodbeverage", "foodandbeverage", "foodbeverages", "consumergoods", "apparelfashion",
        "hospitality", "recreation", "entertainment", "consumerservices", "wholesale", "supermarkets",
    ),
    Industry.INTERNET: (
        "technology", "communications", "telecommunications", "computersoftware", "internet",
        "informationtechnologyandservices", "media", "computerhardware", "computernetworking",
        "onlinemedia", "wireless", "computergames",
    ),
    Industry.FINANCE: (
        "banking", "finance", "insurance", "financialservices", "investmentbanking", "investmentmanagement",
        "venturecapitalprivateequity", "accounting", "capitalmarkets",
    ),
    Industry.EDUCATION: (
        "education", "educationmanagement", "highereducation", "primarysecondaryeducation", "elearning",
    ),
    Industry.HEALTHCARE: (
        "healthcare", "biotechnology", "hospitalhealthcare", "pharmaceuticals", "medicaldevices", "medicalpractice",
    ),
    Industry.LOGISTICS: (
        "shipping", "transportation", "logisticsandsupplychain", "transportationtruckingrailroad", "maritime",
        "packagefreightdelivery", "airlinesaviation", "warehousing",
    ),
    Industry.REAL_ESTATE: (
        "construction", "realestate", "commercialrealestate", "buildingmaterials", "architectureplanning",
    ),
    Industry.PROFESSIONAL_SERVICES: (
        "consulting", "managementconsulting", "legalservices", "lawpractice", "marketingandadvertising",
        "staffingandrecruiting", "humanresources", "outsourcingoffshoring",
    ),
    Industry.ENERGY: (
        "energy", "utilities", "oilenergy", "renewablesenvironment", "environmental", "environmentalservices",
    ),
    Industry.PUBLIC_SECTOR: (
        "government", "governmentadministration", "notforprofit", "nonprofitorganizationmanagement", "publicsafety",
        "militaryanddefense", "defensespace",
    ),
}  # fmt: skip
CRM_INDUSTRIES = {value: str(industry) for industry, values in _INDUSTRIES.items() for value in values}

HOURGLASS = {
    "accounts": ColumnMapping(columns={name: (name,) for name in ACCOUNT_COLUMNS}),
    "stakeholders": ColumnMapping(columns={name: (name,) for name in STAKEHOLDER_COLUMNS}),
    "contracts": ColumnMapping(columns={name: (name,) for name in CONTRACT_COLUMNS}),
}

# Salesforce: Data Loader / Bulk API exports use the API names (Id, Name, AnnualRevenue,
# AccountId …); report exports use labels (Account ID, Account Name …). OwnerId is a
# Salesforce user id Hourglass cannot resolve: add an owner email column to the export.
SALESFORCE = {
    "accounts": ColumnMapping(
        columns={
            "external_id": ("Id", "Account ID", "AccountId"),
            "name": ("Name", "Account Name"),
            "industry": ("Industry",),
            "arr": ("AnnualRevenue", "Annual Revenue"),
            "owner": ("Owner.Email", "OwnerEmail", "Account Owner Email", "Owner Email", "Account Owner"),
        },
        industries=CRM_INDUSTRIES,
    ),
    "stakeholders": ColumnMapping(
        columns={
            "account_external_id": ("AccountId", "Account ID"),
            "name": ("Name", "Full Name", "Contact Name"),
            "email": ("Email",),
            "title": ("Title",),
            "department": ("Department",),
            "phone": ("Phone", "MobilePhone", "Mobile"),
        },
        joined={"name": ("FirstName", "LastName")},
    ),
}

# HubSpot: the CRM's "Export" of companies / contacts writes property labels as headers.
# "Company owner" holds the owner's name (or, in import files, their email): both resolve.
HUBSPOT = {
    "accounts": ColumnMapping(
        columns={
            "external_id": ("Record ID", "Company ID"),
            "name": ("Company name", "Name"),
            "industry": ("Industry",),
            "arr": ("Annual Revenue",),
            "owner": ("Company owner", "HubSpot Owner", "Owner"),
        },
        industries=CRM_INDUSTRIES,
    ),
    "stakeholders": ColumnMapping(
        columns={
            "account_external_id": (
                "Associated Company IDs (Primary)", "Associated Company ID", "Primary Associated Company ID",
                "Company ID",
            ),
            "email": ("Email",),
            "title": ("Job Title",),
            "department": ("Department",),
            "phone": ("Phone Number", "Mobile Phone Number"),
        },
        joined={"name": ("First Name", "Last Name")},
    ),
}  # fmt: skip

MAPPINGS: dict[str, dict[str, ColumnMapping]] = {"hourglass": HOURGLASS, "salesforce": SALESFORCE, "hubspot": HUBSPOT}


@dataclass(frozen=True)
class ColumnPlan:
    """For one file: which of its headers fills which field."""

    sources: dict[str, str]  # field -> header
    joined: dict[str, tuple[str, ...]]  # field -> headers to join
    industries: Mapping[str, str]
    known_industries: frozenset[str] = frozenset()

    @property
    def fields(self) -> set[str]:
        return {*self.sources, *self.joined}


def plan_columns(mapping: ColumnMapping, header: list[str]) -> ColumnPlan:
    """The headers of this file that the mapping uses (a direct column beats a join)."""
    present = {normalise(name): name for name in header}
    sources: dict[str, str] = {}
    for name, candidates in mapping.columns.items():
        for candidate in candidates:
            if normalise(candidate) in present:
                sources[name] = present[normalise(candidate)]
                break
    joined = {
        name: tuple(present[normalise(part)] for part in parts if normalise(part) in present)
        for name, parts in mapping.joined.items()
        if name not in sources and any(normalise(part) in present for part in parts)
    }
    known = frozenset(choice_lookup(Industry.choices)) if mapping.industries else frozenset()
    return ColumnPlan(sources=sources, joined=joined, industries=mapping.industries, known_industries=known)


def map_row(plan: ColumnPlan, row: dict[str, str]) -> dict[str, str]:
    """One export row as the row of Hourglass fields the sync reads."""
    out = {name: row.get(header, "") for name, header in plan.sources.items()}
    for name, headers in plan.joined.items():
        out[name] = " ".join(part for part in (row.get(header, "") for header in headers) if part)
    industry = out.get("industry")
    # A value Hourglass knows (code or label) passes through; a CRM's own is translated;
    # anything else is "other" rather than a rejected export.
    if industry and plan.industries and industry.lower() not in plan.known_industries:
        out["industry"] = plan.industries.get(normalise(industry), Industry.OTHER.value)
    return out
