from __future__ import annotations

from decimal import Decimal
from typing import Any

from knowledge.services import case_create, case_review, case_submit

CASE_TEXT = {"problem": "The problem.", "approach": "What was done.", "result": "Measured result."}


def approved_case(author: Any, reviewer: Any, **fields: Any) -> Any:
    """A case in the library, through the real workflow (draft → submitted → approved)."""
    values = {"industry": "retail", "size_band": "51_200", "arr_band": "smb", **CASE_TEXT, **fields}
    case = case_create(actor=author, **values)
    case_submit(case=case, actor=author)
    return case_review(case=case, actor=reviewer, approve=True)


def raise_for(account: Any, actor: Any, **fields: Any) -> Any:
    from knowledge.services import feedback_raise

    values = {
        "business_scenario": "Month-end clean-up.",
        "urgency": 2,
        "roi_estimate": Decimal("1000"),
        **fields,
    }
    return feedback_raise(actor=actor, account=account, **values)
