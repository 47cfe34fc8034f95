"""Drug interactions as cited data rules (issue 12): one test per rule, its source cited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketapath.clinical.eligibility import (
    ConditionEntry,
    Decision,
    Effect,
    EligibilityInput,
    EligibilityInputError,
    evaluate,
)
from ketapath.clinical.interactions import (
    EFFECTS,
    InteractionFinding,
    Medicine,
    check_interactions,
    interaction_rules,
)


def found(names: list[str], drug: str) -> set[tuple[str, str]]:
    return {(f.rule_id, f.medicine) for f in check_interactions([Medicine(n) for n in names], drug=drug)}


def only_rule(name: str, drug: str, rule_id: str) -> InteractionFinding:
    (finding,) = [f for f in check_interactions([Medicine(name)], drug=drug) if f.rule_id == rule_id]
    return finding


# --- one test per rule --------------------------------------------------------------------------


def test_benzodiazepines_dampen_ketamine_antidepressant_effect() -> None:
    # Andrashko 2020 (doi:10.3389/fpsyt.2020.00844, PMID 33005153), abstract: benzodiazepine doses
    # above about 8 mg diazepam equivalent went with a weaker response to a ketamine infusion.
    f = only_rule("Clonazepam 0.5 mg", "ketamine", "benzodiazepines-dampen-antidepressant-effect")
    assert (f.effect, f.source.id, f.source.pmid) == ("blunts-effect", "andrashko-2020", "33005153")
    assert "8 mg diazepam" in f.message
    assert not found(["clonazepam"], "esketamine") & {
        ("benzodiazepines-dampen-antidepressant-effect", "clonazepam")
    }


def test_lamotrigine_alters_ketamine_effects() -> None:
    # Wilkowska 2022 (doi:10.3390/cells11040645, PMID 35203296), systematic review: lamotrigine
    # reduced ketamine's dissociative effects in healthy volunteers; no change in antidepressant
    # effect in the one trial in depression.
    f = only_rule("Lamictal XR", "ketamine", "lamotrigine-alters-ketamine-effects")
    assert (f.effect, f.source.id, f.source.doi) == (
        "blunts-effect",
        "wilkowska-2022",
        "10.3390/cells11040645",
    )
    assert "neither reduced nor strengthened" in f.message


@pytest.mark.parametrize(
    "name", ["oxycodone 5 mg", "Lorazepam", "zolpidem", "Pregabalin 75mg", "Suboxone film"]
)
def test_cns_depressants_add_sedation_with_esketamine(name: str) -> None:
    # SPRAVATO US label (FDA set id d81a6a79-..., v18, 2026), 7.1: CNS depressants may increase sedation.
    f = only_rule(name, "esketamine", "cns-depressants-sedation-esketamine")
    assert (f.effect, f.source.id, f.locator) == ("adds-sedation", "spravato-pi-2026", "7.1 CNS depressants")


@pytest.mark.parametrize("name", ["morphine sulfate ER", "Diazepam", "gabapentin"])
def test_cns_depressants_add_sedation_with_ketamine(name: str) -> None:
    # KETALAR US label (revised 10/2024), 7.3: benzodiazepines, opioid analgesics or other CNS
    # depressants may cause profound sedation, respiratory depression, coma or death.
    f = only_rule(name, "ketamine", "cns-depressants-sedation-ketamine")
    assert (f.effect, f.source.id) == ("adds-sedation", "ketalar-pi-2024")
    assert "respiratory depression" in f.message


@pytest.mark.parametrize(
    "name", ["Adderall XR 20 mg", "methylphenidate hydrochloride", "Modafinil", "armodafinil"]
)
def test_psychostimulants_raise_blood_pressure_with_esketamine(name: str) -> None:
    # SPRAVATO US label 7.2: psychostimulants may increase blood pressure; monitor it closely.
    f = only_rule(name, "esketamine", "psychostimulants-blood-pressure-esketamine")
    assert (f.effect, f.source.id, f.locator) == (
        "raises-blood-pressure",
        "spravato-pi-2026",
        "7.2 Psychostimulants",
    )


def test_sympathomimetic_stimulants_with_ketamine() -> None:
    # KETALAR US label 7.2: sympathomimetics and vasopressin: closely monitor vital signs.
    f = only_rule("Lisdexamfetamine", "ketamine", "sympathomimetics-vital-signs-ketamine")
    assert (f.effect, f.source.id) == ("raises-blood-pressure", "ketalar-pi-2024")
    # Modafinil is not a sympathomimetic amine: the Ketalar rule does not name it.
    assert found(["modafinil"], "ketamine") == set()


@pytest.mark.parametrize("name", ["Phenelzine", "tranylcypromine 10 mg", "Emsam patch", "selegiline"])
def test_maois_raise_blood_pressure_with_esketamine(name: str) -> None:
    # SPRAVATO US label 7.3: MAOIs may increase blood pressure; monitor it closely.
    f = only_rule(name, "esketamine", "maois-blood-pressure-esketamine")
    assert (f.effect, f.source.id) == ("raises-blood-pressure", "spravato-pi-2026")
    # No MAOI rule for racemic ketamine: the Ketalar label's section 7 as read does not name MAOIs.
    assert found([name], "ketamine") == set()


@pytest.mark.parametrize("drug", ["ketamine", "esketamine"])
def test_clarithromycin_raises_exposure(drug: str) -> None:
    # Hagelberg 2010 (doi:10.1016/j.ejpain.2009.10.003, PMID 19897389): oral S-ketamine AUC 2.6-fold.
    f = only_rule("Clarithromycin ER", drug, "clarithromycin-raises-exposure")
    assert (f.effect, f.source.pmid) == ("changes-exposure", "19897389")
    assert "2.6-fold" in f.message


@pytest.mark.parametrize("name", ["Rifampicin", "rifampin 600 mg"])
def test_rifampicin_lowers_exposure(name: str) -> None:
    # Peltoniemi 2012 (doi:10.1111/j.1742-7843.2012.00908.x): AUC down 86% oral, 14% IV.
    f = only_rule(name, "ketamine", "rifampicin-lowers-exposure")
    assert (f.effect, f.source.id) == ("changes-exposure", "peltoniemi-2012")
    assert "86%" in f.message and "14%" in f.message


def test_ticlopidine_raises_exposure() -> None:
    # Peltoniemi 2011 (doi:10.1038/clpt.2011.140): ticlopidine raised oral S-ketamine AUC 2.4-fold;
    # itraconazole did not raise it, so no azole is listed.
    f = only_rule("ticlopidine", "esketamine", "ticlopidine-raises-exposure")
    assert (f.effect, f.source.doi) == ("changes-exposure", "10.1038/clpt.2011.140")
    assert found(["itraconazole"], "ketamine") == set()


def test_every_rule_is_tested_above_and_sourced() -> None:
    assert {r.id for r in interaction_rules()} == {
        "benzodiazepines-dampen-antidepressant-effect",
        "lamotrigine-alters-ketamine-effects",
        "cns-depressants-sedation-esketamine",
        "cns-depressants-sedation-ketamine",
        "psychostimulants-blood-pressure-esketamine",
        "sympathomimetics-vital-signs-ketamine",
        "maois-blood-pressure-esketamine",
        "clarithromycin-raises-exposure",
        "rifampicin-lowers-exposure",
        "ticlopidine-raises-exposure",
    }
    for rule in interaction_rules():
        assert rule.effect in EFFECTS
        assert rule.source.doi or rule.source.pmid or rule.source.url
        assert rule.locator


# --- name matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "matches"),
    [
        ("lorazepam 1 mg", True),
        ("LORAZEPAM", True),
        ("Lorazepam  (Ativan)", True),
        ("Ativan", True),
        ("lorazepam-1mg", True),  # a hyphen is a word boundary
        ("xlorazepam", False),  # not a whole word
        ("lorazepamine", False),
        ("sertraline 50 mg", False),
    ],
)
def test_whole_word_case_insensitive_matching(name: str, matches: bool) -> None:
    rule = "cns-depressants-sedation-esketamine"
    assert (rule, name) in found([name], "esketamine") if matches else not found([name], "esketamine")


def test_dextroamphetamine_is_listed_itself_not_matched_through_amphetamine() -> None:
    assert found(["dextroamphetamine"], "esketamine") == {
        ("psychostimulants-blood-pressure-esketamine", "dextroamphetamine")
    }


def test_findings_in_rule_order_and_each_medicine_once() -> None:
    meds = [Medicine("Lorazepam 1 mg"), Medicine("Lorazepam 1 mg"), Medicine("clarithromycin")]
    ids = [(f.rule_id, f.medicine) for f in check_interactions(meds, drug="ketamine")]
    assert ids == [
        ("benzodiazepines-dampen-antidepressant-effect", "Lorazepam 1 mg"),
        ("cns-depressants-sedation-ketamine", "Lorazepam 1 mg"),
        ("clarithromycin-raises-exposure", "clarithromycin"),
    ]


def test_racemic_ketamine_alias() -> None:
    assert found(["diazepam"], "racemic-ketamine") == found(["diazepam"], "ketamine")


@pytest.mark.parametrize(
    ("meds", "drug", "message"),
    [([], "arketamine", "must be one of"), ([Medicine(" ")], "ketamine", "needs a name"),
     ([Medicine("x" * 201)], "ketamine", "at most")],
)  # fmt: skip
def test_bad_input_is_refused(meds: list[Medicine], drug: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_interactions(meds, drug=drug)


# --- fed into the eligibility proposal ---------------------------------------------------------

TODAY = date(2025, 6, 16)
CLEAR = EligibilityInput(
    assessed_on=TODAY,
    conditions=(ConditionEntry("crps-1", onset=date(2024, 1, 1)),),
    pregnant=False, breastfeeding=False, psychosis_active=False, psychosis_history=False,
    mania_history=False, cardiovascular_disease="none", hypertension="none", cardiovascular_risk=False,
    hepatic_disease="none", liver_toxicity_risk=False, frequent_high_doses_planned=False,
    raised_intracranial_pressure=False, raised_intraocular_pressure=False,
    active_substance_misuse=False, asq_positive=False, phq9_item9=0, planned_drug="ketamine",
)  # fmt: skip


def test_interactions_are_caution_reasons_in_the_proposal() -> None:
    result = evaluate(replace(CLEAR, medicines=(Medicine("Oxycodone 10 mg", "10 mg twice daily"),)))
    assert result.decision is Decision.ELIGIBLE_WITH_CAUTIONS
    (r,) = [r for r in result.reasons if r.code.startswith("interaction.")]
    assert r.code == "interaction.cns-depressants-sedation-ketamine.oxycodone-10-mg"
    assert (r.effect, r.source_label) == (
        Effect.CAUTION,
        "Ketalar 2024, 7.3 Benzodiazepines, opioid analgesics, or other CNS depressants",
    )
    assert r.text.startswith("Oxycodone 10 mg: CNS depressant")


def test_without_a_planned_drug_both_drugs_are_checked() -> None:
    result = evaluate(replace(CLEAR, planned_drug=None, medicines=(Medicine("phenelzine"),)))
    assert [r.code for r in result.reasons if r.code.startswith("interaction.")] == [
        "interaction.maois-blood-pressure-esketamine.phenelzine"
    ]


def test_no_interaction_no_change() -> None:
    result = evaluate(replace(CLEAR, medicines=(Medicine("sertraline", "100 mg", date(2024, 1, 1)),)))
    assert result.decision is Decision.ELIGIBLE


def test_medicine_started_after_the_assessment_is_refused() -> None:
    with pytest.raises(EligibilityInputError, match="after the assessment date"):
        evaluate(replace(CLEAR, medicines=(Medicine("diazepam", since=date(2025, 7, 1)),)))


ALL_NAMES = sorted({n for rule in interaction_rules() for n in rule.names})


@settings(max_examples=100)
@given(
    st.lists(st.sampled_from(ALL_NAMES) | st.sampled_from(["sertraline", "paracetamol"]), max_size=5),
    st.sampled_from(["ketamine", "esketamine", None]),
)
def test_interactions_only_ever_add_cited_cautions(names: list[str], drug: str | None) -> None:
    base = evaluate(replace(CLEAR, planned_drug=drug))
    result = evaluate(replace(CLEAR, planned_drug=drug, medicines=tuple(Medicine(n.upper()) for n in names)))
    extra = [r for r in result.reasons if r.code.startswith("interaction.")]
    assert all(r.effect is Effect.CAUTION and r.cited is not None for r in extra)
    assert [r for r in result.reasons if not r.code.startswith("interaction.")] == list(base.reasons)
    worse_only_by_caution = (
        Decision.ELIGIBLE_WITH_CAUTIONS if base.decision is Decision.ELIGIBLE else base.decision
    )
    assert result.decision is (worse_only_by_caution if extra else base.decision)
