"""Demo consultations: the clinic's consent text, intakes, evaluations at each decision, consents.

Everything is created through the consultation and questionnaire actions, for synthetic patients
only. Loaded once per patient: a patient who already has an intake is left as it is, so running
``ketapath demo`` again keeps whatever was entered since.

- DEMO-0001 (patient.demo): home intake sent, visit completed, signed *eligible* evaluation
  (CRPS) and signed consent: the later steps (plan, infusions) continue from here.
- DEMO-0006: eligible (depression), signed, consent signed.
- DEMO-0007: eligible with cautions (fibromyalgia, weak evidence), signed, no consent yet.
- DEMO-0004: work-up needed (treated hypertension, no ECG on file), signed as such.
- DEMO-0005: visit completed, evaluation waiting for the prescriber (a clinic-setting reason).
- DEMO-0018 and DEMO-0019: not eligible now (poorly controlled hypertension; pregnancy), signed.
- DEMO-0003: intake opened and its questionnaires assigned.

Each intake has a structured medication list (name, dose, since) that shows the interaction
checks: DEMO-0007 takes lorazepam (a benzodiazepine), DEMO-0004 oxycodone (an opioid), DEMO-0006
sertraline only, and DEMO-0001 entered their own medicines at home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from ketapath.clinical.instruments import get_instrument
from ketapath.consultations.actions import (
    IntakeChanges,
    RowChange,
    assign_intake_questionnaires,
    complete_visit,
    save_intake,
)
from ketapath.consultations.consent_text import load_consent_text
from ketapath.consultations.models import Consent, ConsentVersion, Intake
from ketapath.demo.builders import consent_text, signed_consent, signed_evaluation
from ketapath.patients.models import Patient
from ketapath.questionnaires.actions import save_answers

NO = "no"
YES = "yes"
# A healthy baseline: every engine fact recorded as absent.
CLEAR: dict[str, str] = {
    "cardiovascular_disease": "none",
    "hypertension": "none",
    "cardiovascular_risk": NO,
    "hepatic_disease": "none",
    "liver_toxicity_risk": NO,
    "raised_intracranial_pressure": NO,
    "raised_intraocular_pressure": NO,
    "pregnant": NO,
    "breastfeeding": NO,
    "psychosis_active": NO,
    "psychosis_history": NO,
    "mania_history": NO,
    "active_substance_misuse": NO,
    "serial_infusions_planned": YES,
    "frequent_high_doses_planned": NO,
    "aneurysmal_vascular_disease": NO,
    "arteriovenous_malformation": NO,
    "intracerebral_haemorrhage_history": NO,
    "hypersensitivity_ketamine": NO,
    "urinary_symptoms": NO,
}
# Questionnaire answers (item values in item order) that screen negative.
NEGATIVE = {
    "asq": [0, 0, 0, 0],
    "audit-c": [1, 1, 0],
    "dast-10": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
}


PARACETAMOL = (("Paracetamol", "1 g up to four times a day", 400),)
#: The demo's depressed patients (here and in the plans, infusions and outcomes demos) are
#: referred after two antidepressants failed: the nurse records treatment resistance as assessed.
TREATMENT_RESISTANT_DEMO = frozenset({"major-depressive-disorder"})


@dataclass(frozen=True)
class Scenario:
    mrn: str
    condition: tuple[str, str, int]  # condition id, ICD-10-CM code, onset (days ago)
    facts: dict[str, str]
    vitals: tuple[int, int, int, int]  # systolic, diastolic, heart rate, SpO2
    pain: tuple[int, int, int]  # now, worst, average
    referral: str
    treatments: dict[str, tuple[str, str]]
    questionnaires: dict[str, list[int]] = field(default_factory=dict)
    tests: tuple[tuple[str, int, str], ...] = ()  # kind, days ago, result
    sign: str = ""  # final decision to sign ("" = leave for the prescriber)
    assessment: str = ""
    consent: bool = False
    by_patient: bool = False
    medicines: tuple[tuple[str, str, int], ...] = PARACETAMOL  # name, dose, since (days ago)


PAIN_TREATMENTS = {
    "nsaids": ("no-effect", "Ibuprofen 400 mg three times a day for 2 months (synthetic)"),
    "gabapentinoids": ("side-effects", "Pregabalin, stopped after 6 weeks: drowsiness (synthetic)"),
    "physical-therapy": ("helped-some", "Twice weekly for 3 months (synthetic)"),
    "ketamine": ("not-tried", ""),
}

SCENARIOS = [
    Scenario(
        mrn="DEMO-0001",
        condition=("crps-1", "G90.511", 420),
        facts=CLEAR,
        vitals=(124, 78, 72, 98),
        pain=(7, 9, 7),
        referral="Complex regional pain syndrome of the right arm after a wrist fracture (synthetic).",
        treatments={
            **PAIN_TREATMENTS,
            "nerve-blocks": ("helped-some", "Stellate ganglion block, relief for 2 weeks"),
        },
        questionnaires={
            **NEGATIVE,
            "peg": [7, 6, 7],
            "dn4": [1, 0, 1, 1, 1, 1, 0, 1, 0, 1],
        },
        sign="eligible",
        assessment="CRPS type I for over a year, refractory to first-line treatment. "
        "No contraindication found. Proceed to a treatment plan (synthetic note).",
        consent=True,
        by_patient=True,
        medicines=(*PARACETAMOL, ("Amitriptyline", "10 mg at night", 200)),
    ),
    Scenario(
        mrn="DEMO-0006",
        condition=("major-depressive-disorder", "F33.2", 900),
        facts={**CLEAR, "serial_infusions_planned": YES, "treatment_resistant": YES},
        vitals=(118, 74, 68, 99),
        pain=(1, 2, 1),
        referral="Recurrent depression not responding to two antidepressants (synthetic).",
        treatments={
            "antidepressants": ("no-effect", "Sertraline, then venlafaxine, each over 8 weeks (synthetic)")
        },
        questionnaires={**NEGATIVE, "phq-9": [2, 3, 2, 2, 1, 2, 2, 1, 0], "gad-7": [1, 1, 1, 1, 0, 1, 1]},
        sign="eligible",
        assessment="Treatment-resistant depression; no contraindication (synthetic note).",
        consent=True,
        medicines=(("Sertraline", "150 mg once a day", 150),),
    ),
    Scenario(
        mrn="DEMO-0007",
        condition=("fibromyalgia", "M79.7", 1100),
        facts=CLEAR,
        vitals=(130, 82, 76, 98),
        pain=(6, 8, 6),
        referral="Widespread pain for three years (synthetic).",
        treatments=PAIN_TREATMENTS,
        questionnaires={**NEGATIVE, "peg": [6, 7, 6]},
        sign="eligible-with-cautions",
        assessment="Fibromyalgia: weak evidence; discussed the limited expected benefit (synthetic note).",
        medicines=(*PARACETAMOL, ("Lorazepam", "1 mg at night", 500)),
    ),
    Scenario(
        mrn="DEMO-0004",
        condition=("low-back-pain", "M54.50", 700),
        facts={**CLEAR, "hypertension": "controlled"},
        vitals=(136, 86, 80, 97),
        pain=(6, 8, 6),
        referral="Chronic low-back pain (synthetic).",
        treatments={**PAIN_TREATMENTS, "surgery": ("no-effect", "Lumbar discectomy 2 years ago (synthetic)")},
        questionnaires={**NEGATIVE, "peg": [6, 6, 7]},
        sign="work-up-needed",
        assessment="Treated hypertension: baseline ECG requested before deciding (synthetic note).",
        medicines=(("Amlodipine", "5 mg once a day", 900), ("Oxycodone", "10 mg twice a day", 120)),
    ),
    Scenario(
        mrn="DEMO-0005",
        condition=("postherpetic-neuralgia", "B02.29", 300),
        facts={**CLEAR, "psychosis_history": YES},
        vitals=(120, 76, 70, 99),
        pain=(5, 8, 6),
        referral="Pain after shingles on the left chest wall (synthetic).",
        treatments=PAIN_TREATMENTS,
        questionnaires={**NEGATIVE, "peg": [5, 6, 6], "dn4": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1]},
    ),
    Scenario(
        mrn="DEMO-0018",
        condition=("neuropathic-pain", "G62.9", 1500),
        facts={**CLEAR, "hypertension": "poorly-controlled", "cardiovascular_risk": YES},
        vitals=(178, 104, 88, 96),
        pain=(7, 9, 8),
        referral="Painful polyneuropathy (synthetic).",
        treatments=PAIN_TREATMENTS,
        questionnaires={**NEGATIVE, "peg": [7, 8, 8]},
        tests=(("ecg", 20, "Sinus rhythm, left ventricular hypertrophy (synthetic)"),),
        sign="not-eligible-now",
        assessment="Poorly controlled hypertension: referred to the family doctor; "
        "re-evaluate when controlled (synthetic note).",
    ),
    Scenario(
        mrn="DEMO-0019",
        condition=("migraine", "G43.709", 2000),
        facts={**CLEAR, "pregnant": YES},
        vitals=(112, 70, 74, 99),
        pain=(4, 9, 5),
        referral="Chronic migraine (synthetic).",
        treatments={"antidepressants": ("helped-some", "Amitriptyline at night (synthetic)")},
        questionnaires={**NEGATIVE, "peg": [5, 7, 6]},
        sign="not-eligible-now",
        assessment="Pregnant: ketamine not used; re-evaluate after pregnancy (synthetic note).",
    ),
]


def _answers(instrument_id: str, values: list[int]) -> dict[str, int | None]:
    definition = get_instrument(instrument_id)
    return {item.id: value for item, value in zip(definition.items, values, strict=False)}


def _intake_changes(s: Scenario, today: date, *, part: str) -> IntakeChanges:
    condition_id, code, days = s.condition
    patient_fields = {
        "referral_reason": s.referral,
        "pain_locations": "See the referral (synthetic).",
        "pain_now_nrs": s.pain[0],
        "pain_worst_nrs": s.pain[1],
        "pain_average_nrs": s.pain[2],
        "current_medications": "Synthetic demo patient: see the medicines listed.",
        "allergies": "No known drug allergies (synthetic).",
        "pregnant": s.facts["pregnant"],
        "breastfeeding": s.facts["breastfeeding"],
        "psychosis_history": s.facts["psychosis_history"],
        "mania_history": s.facts["mania_history"],
        "urinary_symptoms": s.facts["urinary_symptoms"],
        "reports_high_blood_pressure": YES if s.facts["hypertension"] != "none" else NO,
        "reports_heart_disease": NO,
        "reports_liver_disease": NO,
    }
    treatments = {k: {"outcome": o, "details": d} for k, (o, d) in s.treatments.items()}
    medicines = tuple(
        RowChange(None, {"name": name, "dose": dose, "since": today - timedelta(days=ago)})
        for name, dose, ago in s.medicines
    )
    if part == "patient":
        condition = RowChange(
            None, {"condition_id": condition_id, "description": "", "onset_on": today - timedelta(days)}
        )
        return IntakeChanges(
            fields=patient_fields, conditions=(condition,), treatments=treatments, medicines=medicines
        )
    facts = {**s.facts}
    if condition_id in TREATMENT_RESISTANT_DEMO and "treatment_resistant" not in facts:
        facts["treatment_resistant"] = YES  # every demo depression failed two antidepressants
    staff_fields: dict[str, Any] = {
        **{k: v for k, v in facts.items() if k != "urinary_symptoms"},
        "referred_by": "Dr Example, family practice (synthetic)",
        "vitals_on": today,
        "systolic_mmhg": s.vitals[0],
        "diastolic_mmhg": s.vitals[1],
        "heart_rate_bpm": s.vitals[2],
        "spo2_percent": s.vitals[3],
        "visit_notes": "Synthetic demo visit.",
    }
    tests = tuple(
        RowChange(None, {"kind": kind, "done_on": today - timedelta(days=ago), "result": result})
        for kind, ago, result in s.tests
    )
    if s.by_patient:  # the patient already entered the condition: the nurse adds the code
        return IntakeChanges(fields=staff_fields, tests=tests)
    condition = RowChange(
        None,
        {
            "condition_id": condition_id,
            "icd10_code": code,
            "description": "",
            "onset_on": today - timedelta(days),
        },
    )
    return IntakeChanges(
        fields={**patient_fields, **staff_fields},
        conditions=(condition,),
        treatments=treatments,
        tests=tests,
        medicines=medicines,
    )


def _code_patient_condition(patient: Patient, nurse: Any, code: str, now: datetime) -> None:
    intake = Intake.objects.active().get(patient=patient)
    row = intake.conditions.active().first()
    if row is None:
        return
    values = {
        "condition_id": row.condition_id,
        "icd10_code": code,
        "description": row.description,
        "onset_on": row.onset_on,
    }
    save_intake(
        patient, nurse, IntakeChanges(conditions=(RowChange(row.pk, values),)), by_patient=False, now=now
    )


def consent_version(clinic: Any, prescriber: Any, *, now: datetime | None = None) -> ConsentVersion:
    """The demo clinic's consent text (the shipped one), published once."""
    text = load_consent_text()
    return consent_text(
        clinic,
        prescriber,
        title=text.title,
        body=text.body,
        sources=list(text.sources),
        change_note="First version (demo clinic, synthetic).",
        now=now,
    )


def run_scenario(
    s: Scenario, patient: Patient, users: dict[str, Any], version: ConsentVersion, *, now: datetime
) -> None:
    """The scenario's consultation, every step written at ``now``."""
    nurse, prescriber = users["nurse"], users["prescriber"]
    today = timezone.localdate(now)
    if s.by_patient and patient.user is not None:
        save_intake(
            patient,
            patient.user,
            _intake_changes(s, today, part="patient"),
            by_patient=True,
            submit=True,
            now=now,
        )
        _code_patient_condition(patient, nurse, s.condition[1], now)
    save_intake(patient, nurse, _intake_changes(s, today, part="staff"), by_patient=False, now=now)
    for instrument_id, values in s.questionnaires.items():
        respondent = "patient" if get_instrument(instrument_id).kind == "patient-reported" else "staff"
        save_answers(
            patient=patient,
            definition=get_instrument(instrument_id),
            answers=_answers(instrument_id, values),
            user=patient.user if respondent == "patient" and patient.user else nurse,
            respondent=respondent,
            complete=True,
            now=now,
        )
    complete_visit(patient, nurse, now=now)
    if s.sign:
        patient.refresh_from_db()
        signed_evaluation(patient, prescriber, s.sign, reason=None, assessment=s.assessment, now=now)
    if s.consent and not Consent.objects.filter(patient=patient).exists():
        signed_consent(patient, nurse, version, now=now)


def load_demo_consultations(clinic: Any, users: dict[str, Any], *, now: datetime | None = None) -> int:
    """Add the consultation records to demo patients that have none; return how many patients."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    version = consent_version(clinic, users["prescriber"], now=now)
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic).select_related("user", "clinic")}
    started = set(Intake.objects.filter(patient__clinic=clinic).values_list("patient__mrn", flat=True))
    added = 0
    for scenario in SCENARIOS:
        patient = patients.get(scenario.mrn)
        if patient is None or scenario.mrn in started:
            continue
        run_scenario(scenario, patient, users, version, now=now)
        added += 1
    robin = patients.get("DEMO-0003")
    if robin is not None and "DEMO-0003" not in started:
        assign_intake_questionnaires(robin, users["nurse"], today, now=now)
        added += 1
    return added


__all__ = [
    "CLEAR",
    "NEGATIVE",
    "PAIN_TREATMENTS",
    "SCENARIOS",
    "Scenario",
    "consent_version",
    "load_demo_consultations",
    "run_scenario",
]
