"""The PK preview is computed once per set of inputs (ketapath/pk/preview.py)."""

from __future__ import annotations

import pytest

from ketapath.clinical.pharmacokinetics import Patient, PKInputError, Step
from ketapath.pk import preview as preview_module
from ketapath.pk.preview import pk_preview


def test_the_same_inputs_reuse_the_preview_and_other_inputs_do_not():
    steps = [Step(0, 40, 35)]
    first = pk_preview("herd-2007", Patient(70), steps, 120)
    assert pk_preview("herd-2007", Patient(70), tuple(steps), 120.0) is first
    heavier = pk_preview("herd-2007", Patient(90), steps, 120)
    assert heavier is not first and heavier.peak_ng_per_ml < first.peak_ng_per_ml
    longer = pk_preview("herd-2007", Patient(70), steps, 180)
    assert longer.time_min[-1] == 180 and first.time_min[-1] == 120
    assert preview_module._preview.cache_info().maxsize == preview_module.PREVIEWS_KEPT


def test_bad_input_is_refused_every_time_not_kept():
    for _ in range(2):
        with pytest.raises(PKInputError):
            pk_preview("herd-2007", Patient(70), [], 120)
        with pytest.raises(PKInputError):
            pk_preview("not-a-model", Patient(70), [Step(0, 40, 35)], 120)
