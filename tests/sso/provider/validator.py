"""The provider's claims: email (verified unless the user's last name says otherwise) and names."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class EmailClaimsValidator(OAuth2Validator):
    oidc_claim_scope = OAuth2Validator.oidc_claim_scope

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.last_name != "Unverified",
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
