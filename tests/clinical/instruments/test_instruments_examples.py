"""Each instrument scored against published worked examples or hand computation.

Every expected number below is either taken from the cited example or worked out by hand from
the authors' rule named in the test; none is copied from the engine's output.
"""

from __future__ import annotations

import pytest

from ketapath.clinical.instruments import AnswerError, all_instruments, get_instrument, score

EXPECTED_IDS = {
    "phq-9",
    "phq-2",
    "gad-7",
    "gad-2",
    "peg",
    "nrs-pain",
    "bpi-sf",
    "asq",
    "audit-c",
    "dast-10",
    "pgic",
    "moaa-s",
    "rass",
    "aldrete-modified",
    "padss",
    "cadss-6",
    "dn4",
    "icsi-icpi",
}


def answers(definition_id: str, values: list[int | None]) -> dict[str, int | None]:
    definition = get_instrument(definition_id)
    return dict(zip(definition.item_ids, values, strict=False))


def test_every_required_instrument_is_defined() -> None:
    assert set(all_instruments()) >= EXPECTED_IDS


# --- PHQ-9 ---------------------------------------------------------------------------------------


def test_phq9_manual_worked_example() -> None:
    # PHQ instruction manual example (quoted in the KetaPath fact sheet, S30): three items
    # "several days" (1), two "more than half the days" (2), three "nearly every day" (3),
    # one "not at all" (0): 3 + 4 + 9 = 16, moderately severe (Kroenke 2001 bands 15-19).
    result = score(get_instrument("phq-9"), answers("phq-9", [1, 1, 1, 2, 2, 3, 3, 3, 0]))
    assert result.total == 16
    assert result.band == "Moderately severe"
    assert result.positive is True
    assert result.alerts == ()


def test_phq9_mii_example_all_nearly_every_day() -> None:
    # MII PROMs example response: all nine items LA6571-9 (3): 9 x 3 = 27, severe (20-27).
    result = score(get_instrument("phq-9"), answers("phq-9", [3] * 9 + [3]))
    assert (result.total, result.band) == (27, "Severe")


@pytest.mark.parametrize(
    ("total_items", "band"),
    [([0] * 9, "None-minimal"), ([1] * 5 + [0] * 4, "Mild"), ([2] * 5 + [0] * 4, "Moderate")],
)
def test_phq9_band_edges(total_items: list[int], band: str) -> None:
    # Hand sums 0, 5 and 10 fall at the lower edges of Kroenke 2001's bands.
    assert score(get_instrument("phq-9"), answers("phq-9", total_items)).band == band


def test_phq9_item9_alert_fires_whatever_the_total() -> None:
    result = score(get_instrument("phq-9"), answers("phq-9", [0] * 8 + [1]))
    assert result.total == 1 and result.band == "None-minimal" and result.positive is False
    assert [(a.id, a.severity, a.routing) for a in result.alerts] == [
        ("self-harm-thoughts", "critical", "same-day clinician review")
    ]
    assert result.alerts[0].audience == "clinician"


def test_phq9_item9_alert_fires_even_when_the_total_cannot_be_scored() -> None:
    result = score(get_instrument("phq-9"), {"q9": 2})
    assert result.total is None and not result.complete
    assert [a.id for a in result.alerts] == ["self-harm-thoughts"]


def test_phq9_needs_every_item_and_difficulty_is_optional() -> None:
    definition = get_instrument("phq-9")
    partial = score(definition, answers("phq-9", [1] * 8 + [None]))
    assert partial.total is None and partial.missing == ("q9",)
    complete = score(definition, answers("phq-9", [1] * 9))
    assert complete.total == 9 and complete.complete


def test_phq9_rejects_an_answer_outside_the_options() -> None:
    with pytest.raises(AnswerError, match="q3: 4 is not an answer option"):
        score(get_instrument("phq-9"), answers("phq-9", [0, 0, 4]))


# --- PHQ-2, GAD-7, GAD-2 -------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "total", "positive"), [([2, 1], 3, True), ([1, 1], 2, False)])
def test_phq2_cutoff_of_three(values: list[int], total: int, positive: bool) -> None:
    # Kroenke 2003: a PHQ-2 score of 3 is the optimal cutpoint.
    result = score(get_instrument("phq-2"), answers("phq-2", values))
    assert (result.total, result.positive) == (total, positive)


def test_gad7_hl7_phr_worked_response() -> None:
    # HL7 PHR IG GAD-7 example: answers 0,0,1,1,0,1,0 -> 3, minimal (Spitzer 2006: 0-4).
    result = score(get_instrument("gad-7"), answers("gad-7", [0, 0, 1, 1, 0, 1, 0]))
    assert (result.total, result.band, result.positive) == (3, "Minimal", False)


@pytest.mark.parametrize(
    ("values", "total", "band", "positive"),
    [
        ([2, 2, 2, 1, 1, 1, 1], 10, "Moderate", True),
        ([3, 3, 3, 3, 2, 2, 2], 18, "Severe", True),
        ([1, 1, 1, 1, 1, 1, 3], 9, "Mild", False),
    ],
)
def test_gad7_hand_computed(values: list[int], total: int, band: str, positive: bool) -> None:
    result = score(get_instrument("gad-7"), answers("gad-7", values))
    assert (result.total, result.band, result.positive) == (total, band, positive)


@pytest.mark.parametrize(("values", "positive"), [([2, 2], True), ([1, 1], False), ([0, 3], True)])
def test_gad2_cutoff_of_three(values: list[int], positive: bool) -> None:
    assert score(get_instrument("gad-2"), answers("gad-2", values)).positive is positive


# --- Pain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "mean"), [([5, 5, 5], 5.0), ([7, 8, 6], 7.0), ([8, 7, 9], 8.0)])
def test_peg_is_the_mean_of_three_items(values: list[int], mean: float) -> None:
    # Worked examples: 5+5+5 = 15, /3 = 5.0 (plustopcare.org PEG tool page); P7 E8 G6 -> 7.0
    # (iatrox.com PEG calculator); 8, 7, 9 -> 24/3 = 8.0 (hand).
    assert score(get_instrument("peg"), answers("peg", values)).total == mean


def test_peg_rounds_a_repeating_mean_to_two_decimals() -> None:
    # 6 + 7 + 7 = 20; 20 / 3 = 6.666... -> 6.67 (half up).
    assert score(get_instrument("peg"), answers("peg", [6, 7, 7])).total == 6.67


def test_peg_needs_all_three_items() -> None:
    assert score(get_instrument("peg"), answers("peg", [5, 5, None])).total is None


def test_nrs_is_the_rating_itself() -> None:
    assert score(get_instrument("nrs-pain"), {"intensity": 8}).total == 8
    with pytest.raises(AnswerError):
        score(get_instrument("nrs-pain"), {"intensity": 11})


def test_bpi_severity_and_interference() -> None:
    # Fact sheet example 14: worst 8, least 3, average 6, now 5 -> 22/4 = 5.5;
    # interference 7,6,5,8,4,6,7 -> 43/7 = 6.142857 -> 6.14.
    result = score(get_instrument("bpi-sf"), answers("bpi-sf", [8, 3, 6, 5, 7, 6, 5, 8, 4, 6, 7]))
    assert result.total == 5.5
    assert result.scale("interference").value == 6.14
    assert [s.id for s in result.subscales] == ["interference"]


def test_bpi_interference_valid_with_four_of_seven() -> None:
    # ePPOC: at least 4 of 7 interference items; 6,6,5,7 -> 24/4 = 6.0; with 3 -> not scored.
    definition = get_instrument("bpi-sf")
    four = score(definition, answers("bpi-sf", [8, 3, 6, 5, 6, 6, 5, 7, None, None, None]))
    assert four.scale("interference").value == 6.0
    three = score(definition, answers("bpi-sf", [8, 3, 6, 5, 6, 6, 5, None, None, None, None]))
    assert three.scale("interference").value is None


def test_bpi_severity_needs_all_four_ratings() -> None:
    result = score(get_instrument("bpi-sf"), answers("bpi-sf", [8, 3, 6, None]))
    assert result.total is None


def test_dn4_cutoff_of_four() -> None:
    # Fact sheet example 18: burning, electric shocks, tingling, numbness and touch
    # hypoaesthesia = 5/10 -> positive (>= 4); example 19: 3/10 -> negative.
    positive = answers("dn4", [1, 0, 1, 1, 0, 1, 0, 1, 0, 0])
    assert (
        score(get_instrument("dn4"), positive).total,
        score(get_instrument("dn4"), positive).positive,
    ) == (5, True)
    negative = answers("dn4", [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert score(get_instrument("dn4"), negative).positive is False


# --- Safety and substance use --------------------------------------------------------------------


def test_asq_any_yes_is_positive_and_asks_the_acuity_question() -> None:
    # Fact sheet example 27: Q1-3 no, Q4 yes, Q5 no -> non-acute positive screen.
    definition = get_instrument("asq")
    result = score(definition, answers("asq", [0, 0, 0, 1, 0]))
    assert result.positive is True and result.total == 1
    assert [a.id for a in result.alerts] == ["positive-screen"]
    assert result.alerts[0].severity == "high"


def test_asq_acuity_yes_raises_the_critical_alert() -> None:
    result = score(get_instrument("asq"), answers("asq", [1, 0, 0, 0, 1]))
    assert {a.id: a.severity for a in result.alerts} == {
        "positive-screen": "high",
        "acute-risk": "critical",
    }


def test_asq_positive_screen_without_acuity_answer_is_incomplete() -> None:
    result = score(get_instrument("asq"), answers("asq", [0, 1, 0, 0]))
    assert result.positive is True and result.missing == ("q5",)


def test_asq_all_no_is_negative_and_question_5_is_not_asked() -> None:
    definition = get_instrument("asq")
    result = score(definition, answers("asq", [0, 0, 0, 0]))
    assert result.positive is False and result.alerts == () and result.complete
    with pytest.raises(AnswerError, match="only asked"):
        score(definition, answers("asq", [0, 0, 0, 0, 1]))


@pytest.mark.parametrize(
    ("values", "sex", "positive"),
    [
        ([2, 1, 1], "male", True),  # 4 >= 4 (men)
        ([2, 1, 1], "female", True),
        ([1, 1, 1], "male", False),  # 3 < 4 (men)
        ([1, 1, 1], "female", True),  # 3 >= 3 (women)
        ([1, 0, 1], "female", False),  # 2
    ],
)
def test_auditc_sex_specific_cutoffs(values: list[int], sex: str, positive: bool) -> None:
    # Delaney 2014: AUDIT-C >= 4 points for men and >= 3 for women are positive screens.
    result = score(get_instrument("audit-c"), answers("audit-c", values), {"sex": sex})
    assert result.total == sum(values) and result.positive is positive


def test_auditc_without_sex_reports_the_total_but_not_the_screen() -> None:
    result = score(get_instrument("audit-c"), answers("audit-c", [2, 1, 1]))
    assert result.total == 4 and result.positive is None and result.notes
    with pytest.raises(AnswerError, match="covariate sex"):
        score(get_instrument("audit-c"), answers("audit-c", [2, 1, 1]), {"sex": "unknown"})


def test_dast10_item3_is_reverse_scored() -> None:
    # Fact sheet example 30: yes to Q1 and Q2, Q3 yes ("can stop": 0 points), rest no -> 2, low.
    definition = get_instrument("dast-10")
    low = score(definition, answers("dast-10", [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]))
    assert (low.total, low.band) == (2, "Low level")
    # Example 31: Q1, Q2 yes, Q3 no (1 point), Q4, Q5 yes -> 5, moderate.
    moderate = score(definition, answers("dast-10", [1, 1, 0, 1, 1, 0, 0, 0, 0, 0]))
    assert (moderate.total, moderate.band) == (5, "Moderate level")
    # All "no": only question 3 scores -> 1.
    assert score(definition, answers("dast-10", [0] * 10)).total == 1
    # All "yes" except question 3 answered yes -> 9, severe.
    assert score(definition, answers("dast-10", [1] * 10)).band == "Severe level"


# --- Global change, sedation, discharge, dissociation, bladder ------------------------------------


@pytest.mark.parametrize(("value", "responder"), [(1, True), (2, True), (3, False), (4, False)])
def test_pgic_much_or_very_much_improved(value: int, responder: bool) -> None:
    # Farrar 2001 used "much improved" and "very much improved" as the clinically important anchor.
    assert score(get_instrument("pgic"), {"impression": value}).positive is responder


def test_moaas_single_rating() -> None:
    # Fact sheet example 21: responds only to loud or repeated name -> 3.
    assert score(get_instrument("moaa-s"), {"responsiveness": 3}).total == 3


@pytest.mark.parametrize(("value", "band"), [(-2, "Light sedation"), (4, "Combative"), (0, "Alert and calm")])
def test_rass_levels(value: int, band: str) -> None:
    # Fact sheet example 22 and Sessler 2002 Table 1 terms.
    result = score(get_instrument("rass"), {"level": value})
    assert (result.total, result.band) == (value, band)


@pytest.mark.parametrize(("values", "total"), [([2, 2, 2, 2, 1], 9), ([2, 2, 1, 1, 1], 7)])
def test_modified_aldrete_sum(values: list[int], total: int) -> None:
    # Fact sheet examples 23 and 24 (five criteria, 0-2 each).
    assert score(get_instrument("aldrete-modified"), answers("aldrete-modified", values)).total == total


@pytest.mark.parametrize(
    ("values", "total", "fit"), [([2, 2, 2, 1, 2], 9, True), ([2, 1, 1, 2, 2], 8, False)]
)
def test_padss_discharge_at_nine(values: list[int], total: int, fit: bool) -> None:
    # Fact sheet examples 25 and 26; Chung 1995: home-ready at a score of 9 or more.
    result = score(get_instrument("padss"), answers("padss", values))
    assert (result.total, result.positive) == (total, fit)


def test_cadss6_sum_of_six_items() -> None:
    # Fact sheet example 20: items 1, 2, 6, 7, 15, 22 = 2, 1, 2, 1, 0, 1 -> 7.
    assert score(get_instrument("cadss-6"), answers("cadss-6", [2, 1, 2, 1, 0, 1])).total == 7


def test_icsi_icpi_are_two_indices() -> None:
    # Fact sheet example 38: ICSI 4,3,3,4 -> 14 of 20; ICPI 3,3,2,4 -> 12 of 16.
    result = score(get_instrument("icsi-icpi"), answers("icsi-icpi", [4, 3, 3, 4, 3, 3, 2, 4]))
    assert result.total == 14 and result.scale("icpi").value == 12
    assert (result.primary_result.maximum, result.scale("icpi").maximum) == (20, 16)
