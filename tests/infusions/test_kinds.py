"""The registry of entry kinds: one spelling per kind, each declared whole, the choices taken from
the clinical core, and the scales found by their purpose in the instrument files."""

from __future__ import annotations

from django.template.loader import get_template

from ketapath.clinical.delivery import EventKind as CoreEventKind
from ketapath.clinical.monitoring import Vital
from ketapath.infusions.entries import VITAL_FIELDS
from ketapath.infusions.flowsheet import ScorePurpose, score_instruments, score_purpose
from ketapath.infusions.kinds import KINDS
from ketapath.infusions.models import VITAL_MAX, EventKind


def test_every_kind_is_declared_whole_and_its_templates_exist():
    for name, kind in KINDS.items():
        assert kind.name == name and name == name.lower() and " " not in name
        assert get_template(kind.row_template) and get_template(kind.form_template)
        assert hasattr(kind.form, "entry_values"), name
        if kind.generic:
            assert kind.columns and kind.fhir is not None, name


def test_pump_events_and_vital_signs_are_the_cores():
    assert set(EventKind.values) == {k.value for k in CoreEventKind}
    assert set(VITAL_FIELDS) == set(VITAL_MAX) == {v.value for v in Vital}


def test_the_scales_are_found_by_purpose():
    ids = [i.id for i in score_instruments()]
    assert len(ids) == len(set(ids)) >= 5
    purposes = [score_purpose(i) for i in ids]
    assert set(purposes) == set(ScorePurpose)
    # The page lists them by purpose: sedation, dissociation, then discharge readiness.
    assert purposes == sorted(purposes, key=list(ScorePurpose).index)
    assert score_purpose("no-such-scale") is None
