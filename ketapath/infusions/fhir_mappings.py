"""The FHIR R4 resources of each kind of flowsheet entry (``ketapath.infusions.kinds`` names the
builder of each): ``MedicationAdministration``s for the infusion's constant-rate segments, its
boluses and any other medicine given; vital-sign ``Observation``s with the LOINC codes of FHIR's
vital-signs profile; score ``Observation``s (built by the instruments' FHIR builders); an
``AdverseEvent`` per side effect; an exam ``Observation`` per IV-site check.

Each builder takes the session's context and its rows of the kind, originals and corrections.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ketapath.clinical.delivery import DeliveryError, summarise
from ketapath.clinical.instruments import get_instrument, score
from ketapath.clinical.instruments.codes import FHIR_BASE
from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.instruments import score_observations
from ketapath.fhir.patient import VITAL_SIGNS_CATEGORY
from ketapath.infusions.flowsheet import core_events, current
from ketapath.infusions.models import (
    ADMINISTERING,
    FlowsheetEntry,
    InfusionSession,
    SessionStatus,
)

JSON = dict[str, Any]
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
SIDE_EFFECT_SYSTEM = f"{FHIR_BASE}/CodeSystem/infusion-side-effects"
ROUTE_TEXT = "Intravenous"

ENCOUNTER_STATUS = {
    SessionStatus.WAITING: "planned",
    SessionStatus.PRECHECKS: "arrived",
    SessionStatus.INFUSING: "in-progress",
    SessionStatus.OBSERVATION: "in-progress",
    SessionStatus.READY: "in-progress",
    SessionStatus.DISCHARGED: "finished",
    SessionStatus.NOT_GIVEN: "cancelled",
}
OUTCOME = {"resolved": "resolved", "improving": "recovering", "ongoing": "ongoing", "worsened": "ongoing"}

# FHIR R4 vital-signs profile codes (https://hl7.org/fhir/R4/observation-vitalsigns.html).
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
SINGLE_VITALS = (
    ("heart_rate_bpm", [("8867-4", "Heart rate")], "/min", "beats/minute"),
    (
        "spo2_percent",
        [
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ],
        "%",
        "%",
    ),
    ("resp_rate_per_min", [("9279-1", "Respiratory rate")], "/min", "breaths/minute"),
)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def quantity(value: Any, code: str, unit: str | None = None) -> JSON:
    number = float(value) if isinstance(value, Decimal) else value
    return {"value": number, "unit": unit or code, "system": UCUM, "code": code}


def chain_root(row: FlowsheetEntry, by_pk: dict[int, FlowsheetEntry]) -> int:
    """The first row of a correction chain (its id names the resource)."""
    while row.supersedes_id is not None and row.supersedes_id in by_pk:
        row = by_pk[row.supersedes_id]
    pk: int = row.pk
    return pk


def exported(rows: list[Any]) -> list[tuple[Any, int, str]]:
    """(row, root id, FHIR status word) for what counts and for what was withdrawn."""
    by_pk = {r.pk: r for r in rows}
    out = []
    for row in current(rows):
        out.append((row, chain_root(row, by_pk), "corrected" if row.supersedes_id else "final"))
    for row in rows:
        if row.voids and row.supersedes_id in by_pk:
            original = by_pk[row.supersedes_id]
            out.append((original, chain_root(original, by_pk), "entered-in-error"))
    return out


def _medication(product: str, lot: str, expiry: Any, conc: Any = None, basis: str = "") -> JSON:
    medication: JSON = {"resourceType": "Medication", "id": "med", "code": {"text": product}}
    batch: JSON = {}
    if lot:
        batch["lotNumber"] = lot
    if expiry:
        batch["expirationDate"] = expiry.isoformat()
    if batch:
        medication["batch"] = batch
    if conc is not None:
        what = f"mg of ketamine {basis}" if basis else "mg"
        medication["code"]["text"] = f"{product} ({Decimal(conc).normalize():f} {what} per mL)"
    return medication


def administrations(ctx: JSON, events: list[Any]) -> list[JSON]:
    """One MedicationAdministration per constant-rate segment and per bolus (from the delivery
    core, so the exported doses are the flowsheet's)."""
    session = ctx["session"]
    rows = sorted(current(events), key=lambda e: (e.observed_at, e.recorded_at, e.pk))
    if not rows:
        return []
    stopped = any(e.kind == "stop" for e in rows)
    try:
        summary = summarise(
            core_events(rows), weight_kg=Decimal(1), as_of=None if stopped else rows[-1].observed_at
        )
    except DeliveryError:
        return []
    t0 = summary.started_at
    administering = [e for e in rows if e.kind in ADMINISTERING]
    resources = []
    request = _plan_request(session)

    def drug_at(moment: datetime) -> Any:
        before = [e for e in administering if e.observed_at <= moment]
        return before[-1] if before else administering[0]

    for index, segment in enumerate(summary.segments):
        start = t0 + timedelta(minutes=float(segment.start_min))
        end = start + timedelta(minutes=float(segment.duration_min))
        row = drug_at(start)
        resource = _admin_base(ctx, f"segment-{index}", row, stopped or index < len(summary.segments) - 1)
        resource["effectivePeriod"] = {"start": iso(start), "end": iso(end)}
        resource["dosage"] = {
            "text": f"{segment.rate_mg_per_h.normalize():f} mg/h for "
            f"{segment.duration_min.normalize():f} min (mg of ketamine {row.conc_salt_basis})",
            "route": {"text": ROUTE_TEXT},
            "dose": quantity(round(segment.dose_mg, 3), "mg"),
            "rateQuantity": quantity(segment.rate_mg_per_h, "mg/h"),
        }
        if request:
            resource["request"] = {"reference": request}
        resources.append(resource)
    for index, bolus in enumerate(summary.boluses):
        at = t0 + timedelta(minutes=float(bolus.at_min))
        row = drug_at(at)
        resource = _admin_base(ctx, f"bolus-{index}", row, True)
        resource["effectiveDateTime"] = iso(at)
        resource["dosage"] = {
            "text": f"Bolus {bolus.dose_mg.normalize():f} mg (mg of ketamine {row.conc_salt_basis})",
            "route": {"text": ROUTE_TEXT},
            "dose": quantity(bolus.dose_mg, "mg"),
        }
        resources.append(resource)
    return resources


def _plan_request(session: InfusionSession) -> str | None:
    """The plan's MedicationRequest in the same export: the id ``ketapath.plans.fhir`` gives it
    (clinic, patient's MRN, plan)."""
    plan = session.planned_session.plan
    return full_url(resource_uuid("MedicationRequest", plan.patient.clinic.slug, plan.patient.mrn, plan.pk))


def _admin_base(ctx: JSON, key: str, row: Any, completed: bool) -> JSON:
    return {
        "resourceType": "MedicationAdministration",
        "id": resource_uuid("MedicationAdministration", ctx["slug"], "infusion", ctx["session"].pk, key),
        "contained": [
            _medication(row.product, row.lot_number, row.expiry_on, row.conc_mg_per_ml, row.conc_salt_basis)
        ],
        "status": "completed" if completed else "in-progress",
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": ctx["subject"]},
        "context": {"reference": ctx["encounter"]},
        "performer": [{"actor": {"display": row.recorded_by.display_name}}],
    }


def medications(ctx: JSON, rows: list[Any]) -> list[JSON]:
    resources = []
    for row, root, status in exported(rows):
        resource: JSON = {
            "resourceType": "MedicationAdministration",
            "id": resource_uuid("MedicationAdministration", ctx["slug"], "medication", root),
            "contained": [_medication(row.product, row.lot_number, row.expiry_on)],
            "status": "entered-in-error" if status == "entered-in-error" else "completed",
            "medicationReference": {"reference": "#med"},
            "subject": {"reference": ctx["subject"]},
            "context": {"reference": ctx["encounter"]},
            "effectiveDateTime": iso(row.observed_at),
            "performer": [{"actor": {"display": row.recorded_by.display_name}}],
            "dosage": {
                "text": f"{row.dose.normalize():f} {row.dose_unit} {row.route}",
                "route": {"text": row.route},
                "dose": quantity(row.dose, row.dose_unit),
            },
        }
        if row.side_effect_id:
            resource["note"] = [{"text": "Given for a side effect recorded in this session."}]
        resources.append(resource)
    return resources


def _vital_base(ctx: JSON, row: Any, root: int, status: str, name: str) -> JSON:
    return {
        "resourceType": "Observation",
        "id": resource_uuid("Observation", ctx["slug"], "vitals", root, name),
        "status": "amended" if status == "corrected" else status,
        "category": [VITAL_SIGNS_CATEGORY],
        "subject": {"reference": ctx["subject"]},
        "encounter": {"reference": ctx["encounter"]},
        "effectiveDateTime": iso(row.observed_at),
        "performer": [{"display": row.recorded_by.display_name}],
    }


def _interpretation(row: Any, vital: str) -> list[JSON]:
    crossed = [a for a in (row.verdict or {}).get("alerts", []) if vital in a.get("id", "")]
    if not crossed:
        return []
    code = "H" if "high" in crossed[0]["id"] else "L"
    return [{"coding": [{"system": INTERPRETATION, "code": code}], "text": crossed[0]["message"]}]


VITAL_WORDS = {
    "systolic_mmhg": "systolic",
    "diastolic_mmhg": "diastolic",
    "heart_rate_bpm": "heart-rate",
    "spo2_percent": "spo2",
    "resp_rate_per_min": "resp-rate",
}


def vitals(ctx: JSON, rows: list[Any]) -> list[JSON]:
    resources = []
    for row, root, status in exported(rows):
        if row.systolic_mmhg is not None and row.diastolic_mmhg is not None:
            panel = _vital_base(ctx, row, root, status, "bp")
            panel["code"] = {
                "coding": [{"system": LOINC, "code": BP_PANEL[0], "display": BP_PANEL[1]}],
                "text": "Blood pressure",
            }
            panel["component"] = []
            for (code, display), value, word in (
                (SYSTOLIC, row.systolic_mmhg, "systolic"),
                (DIASTOLIC, row.diastolic_mmhg, "diastolic"),
            ):
                component: JSON = {
                    "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                    "valueQuantity": quantity(value, "mm[Hg]", "mmHg"),
                }
                if interpretation := _interpretation(row, word):
                    component["interpretation"] = interpretation
                panel["component"].append(component)
            resources.append(panel)
        for field_name, codes, ucum, unit in SINGLE_VITALS:
            value = getattr(row, field_name)
            if value is None:
                continue
            observation = _vital_base(ctx, row, root, status, field_name)
            observation["code"] = {
                "coding": [{"system": LOINC, "code": c, "display": d} for c, d in codes],
                "text": codes[0][1],
            }
            observation["valueQuantity"] = quantity(value, ucum, unit)
            if interpretation := _interpretation(row, VITAL_WORDS[field_name]):
                observation["interpretation"] = interpretation
            resources.append(observation)
    return resources


def scores(ctx: JSON, rows: list[Any]) -> list[JSON]:
    resources = []
    for row, root, status in exported(rows):
        if not row.instrument_id:
            continue
        definition = get_instrument(row.instrument_id)
        result = score(definition, row.answers)
        for n, observation in enumerate(
            score_observations(definition, result, patient=ctx["subject"], effective=row.observed_at)
        ):
            observation["id"] = resource_uuid("Observation", ctx["slug"], "score", root, n)
            observation["encounter"] = {"reference": ctx["encounter"]}
            observation["status"] = "amended" if status == "corrected" else status
            observation["category"] = [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "exam",
                            "display": "Exam",
                        }
                    ]
                }
            ]
            resources.append(observation)
    return resources


def adverse_events(ctx: JSON, rows: list[Any]) -> list[JSON]:
    resources = []
    for row, root, status in exported(rows):
        if not row.effect or status == "entered-in-error":
            continue  # AdverseEvent has no status: a withdrawn side effect is left out
        actions = ", ".join(row.action_labels())
        text = f"{row.effect_label}; what was done: {actions}"
        if row.action_note:
            text += f" ({row.action_note})"
        resource: JSON = {
            "resourceType": "AdverseEvent",
            "id": resource_uuid("AdverseEvent", ctx["slug"], "infusion", root),
            "actuality": "actual",
            "event": {
                "coding": [
                    {"system": SIDE_EFFECT_SYSTEM, "code": row.effect, "display": row.get_effect_display()}
                ],
                "text": text,
            },
            "subject": {"reference": ctx["subject"]},
            "encounter": {"reference": ctx["encounter"]},
            "date": iso(row.observed_at),
            "recordedDate": iso(row.recorded_at),
            "recorder": {"display": row.recorded_by.display_name},
            "severity": {"coding": [{"system": AE_SEVERITY, "code": row.severity}]},
            "outcome": {
                "coding": [{"system": AE_OUTCOME, "code": OUTCOME.get(row.outcome, "unknown")}],
                "text": row.get_outcome_display() or "not yet known",
            },
        }
        if infusion := ctx.get("infusion"):
            resource["suspectEntity"] = [{"instance": {"reference": infusion}}]
        resources.append(resource)
    return resources


EXAM_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "exam",
            "display": "Exam",
        }
    ]
}
IV_SITE_SYSTEM = f"{FHIR_BASE}/CodeSystem/iv-site-appearance"
IV_SITE_ACTION_SYSTEM = f"{FHIR_BASE}/CodeSystem/iv-site-action"


def iv_site_observations(ctx: JSON, rows: list[Any]) -> list[JSON]:
    """An IV-site check: an exam ``Observation`` of the cannula site (the site as its body site,
    each finding a coded value, what was done as a component)."""
    resources = []
    for row, root, status in exported(rows):
        labels = dict(zip(row.appearance, row.appearance_labels(), strict=True))
        observation: JSON = {
            "resourceType": "Observation",
            "id": resource_uuid("Observation", ctx["slug"], "iv-site", root),
            "status": "amended" if status == "corrected" else status,
            "category": [EXAM_CATEGORY],
            "code": {"text": "Peripheral intravenous cannula site check"},
            "subject": {"reference": ctx["subject"]},
            "encounter": {"reference": ctx["encounter"]},
            "effectiveDateTime": iso(row.observed_at),
            "performer": [{"display": row.recorded_by.display_name}],
            "bodySite": {"text": row.site},
            "valueCodeableConcept": {
                "coding": [
                    {"system": IV_SITE_SYSTEM, "code": code, "display": label}
                    for code, label in labels.items()
                ],
                "text": ", ".join(labels.values()),
            },
            "component": [
                {
                    "code": {"text": "Action taken"},
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": IV_SITE_ACTION_SYSTEM,
                                "code": row.action,
                                "display": row.get_action_display(),
                            }
                        ],
                        "text": row.get_action_display(),
                    },
                }
            ],
        }
        if row.note:
            observation["note"] = [{"text": row.note}]
        resources.append(observation)
    return resources
