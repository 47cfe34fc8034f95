"""Alert tests: a patient with distinctive words in their record (so a test can show none reaches
an e-mail), and the infusion fixtures (a started session made through the real actions)."""

from __future__ import annotations

import pytest

from tests.infusions.conftest import (  # noqa: F401
    chart,
    clock,
    monitoring_settings,
    planned,
    planned_snapshot,
    session,
)

GIVEN, FAMILY, MRN = "Zebulon", "Quartermaine", "A-0001"


@pytest.fixture
def patient(personas):
    one = personas.patient_one
    one.given_name, one.family_name = GIVEN, FAMILY
    one.save()
    return one
