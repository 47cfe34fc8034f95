"""factory-boy factories for the records the tests need."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from ketapath.accounts.models import Clinic, Role, User
from ketapath.patients.models import PathwayStage, Patient


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    # Off for the tests' clinics (a password signs in, as the tests' logins expect); the tests of
    # two-factor sign-in turn it on (tests/accounts/test_two_factor.py).
    staff_two_factor_required = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.NURSE
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"T-{n:05d}")
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = date(1980, 5, 17)
    sex = "female"
    weight_kg = Decimal("70.0")
    height_cm = Decimal("170.0")
    measured_on = date(2026, 1, 5)
    pathway_stage = PathwayStage.EVALUATION
