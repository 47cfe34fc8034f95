"""Outcome actions take the clock as ``now`` (the demo writes its history this way)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketapath.audit.refusals import ActionRefused
from ketapath.outcomes.labs import LabError, record_liver_result

pytestmark = pytest.mark.django_db


def test_a_liver_result_recorded_for_a_past_time_carries_that_time(personas):
    then = timezone.now() - timedelta(days=30)
    result = record_liver_result(
        personas.patient_one,
        personas.prescriber,
        test_id="alt",
        value="35",
        sampled_on=timezone.localdate(then),
        now=then,
    )
    assert result.recorded_at == then
    assert result.history.first().history_date == then


def test_a_sample_after_now_is_in_the_future_even_when_it_is_past_today(personas):
    then = timezone.now() - timedelta(days=30)
    with pytest.raises(LabError) as refused:
        record_liver_result(
            personas.patient_one,
            personas.prescriber,
            test_id="alt",
            value="35",
            sampled_on=timezone.localdate(then) + timedelta(days=1),
            now=then,
        )
    assert isinstance(refused.value, ActionRefused)
    assert refused.value.errors == {"sampled_on": "The sample date is in the future."}
