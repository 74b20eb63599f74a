"""Two-factor authentication (TOTP with backup codes) on top of django-otp.

``services`` holds the writes (enrol, verify, disable, reset), ``gate`` the per-request
decision the middleware applies; docs/two-factor.md describes the flow.
"""
