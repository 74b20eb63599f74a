"""Types shared by every app."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

# The user of a request: signed in or not. Services that need a signed-in person take
# the user model itself.
AnyUser = AbstractBaseUser | AnonymousUser
