from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account, AccountStatus, IcpFit, Industry
from org.models import CsProfile, Role, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CsProfile

    user = factory.SubFactory(UserFactory)
    role = Role.CSM


def make_person(role: str = Role.CSM, *, team: Team | None = None, **user_fields: Any) -> Any:
    user = UserFactory(**user_fields)
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    ProfileFactory(user=user, role=role, team=team)
    return user


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n:04d}")
    external_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    industry = Industry.MANUFACTURING
    arr = Decimal("100000")
    icp_fit = IcpFit.TARGET
    status = AccountStatus.ACTIVE
    owner = None
