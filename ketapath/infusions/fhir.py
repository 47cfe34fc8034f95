"""Infusion sessions in FHIR R4: an ``Encounter`` per session and the resources of each kind of
entry, as the registry of kinds maps them (``ketapath.infusions.fhir_mappings``):
``MedicationAdministration``s for the infusion and other medicines given, vital-sign and score
``Observation``s, an ``AdverseEvent`` per side effect, an ``Observation`` per IV-site check.

Only what counts is exported: an entry replaced by a correction is exported as its correction
(same resource id, status ``corrected`` or ``amended``), a withdrawn entry as ``entered-in-error``.
Resource ids follow the first row of each chain, so two exports of one record agree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from ketapath.fhir.ids import full_url, resource_uuid
from ketapath.fhir.patient import patient_reference
from ketapath.infusions.fhir_mappings import ACT_CODE, ENCOUNTER_STATUS, JSON, iso, quantity
from ketapath.infusions.flowsheet import current
from ketapath.infusions.kinds import KINDS
from ketapath.infusions.models import FlowsheetEntry, InfusionSession, SessionStatus


def _grouped(model: type[FlowsheetEntry], patient: Any) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in (
        model.objects.filter(session__patient=patient)
        .select_related("recorded_by")
        .order_by("observed_at", "id")
    ):
        groups[row.session_id].append(row)
    return groups


def infusion_resources(patient: Any) -> list[JSON]:
    """Every session's resources (a fixed number of queries, whatever the number of sessions)."""
    sessions = list(
        InfusionSession.objects.filter(patient=patient)
        .select_related("planned_session__plan", "nurse_signed_by", "cosigned_by")
        .order_by("planned_session__planned_on", "id")
    )
    if not sessions:
        return []
    exported = [k for k in KINDS.values() if k.fhir is not None]
    rows = {k.name: _grouped(k.model, patient) for k in exported}
    discharges = _grouped(KINDS["discharge"].model, patient)
    subject = patient_reference(patient)
    slug = patient.clinic.slug
    resources: list[JSON] = []
    for session in sessions:
        events, vitals = rows["event"].get(session.pk, []), rows["vitals"].get(session.pk, [])
        if session.status == SessionStatus.WAITING and not vitals and not events:
            continue
        encounter_id = resource_uuid("Encounter", slug, "infusion", session.pk)
        ctx: JSON = {
            "subject": subject,
            "encounter": full_url(encounter_id),
            "slug": slug,
            "session": session,
        }
        resources.append(_encounter(ctx, encounter_id, events, vitals, discharges.get(session.pk, [])))
        for kind in exported:
            assert kind.fhir is not None
            made = kind.fhir(ctx, rows[kind.name].get(session.pk, []))
            if kind.name == "event" and made:
                # A side effect names the infusion (its first administration) as the suspect.
                ctx["infusion"] = full_url(made[0]["id"])
            resources += made
    return resources


def _encounter(
    ctx: JSON, encounter_id: str, events: list[Any], vitals: list[Any], discharges: list[Any]
) -> JSON:
    session = ctx["session"]
    planned = session.planned_session
    times = [e.observed_at for e in current(events)] + [v.observed_at for v in current(vitals)]
    discharge = current(discharges) if session.status == SessionStatus.DISCHARGED else []
    period: JSON = {}
    if times:
        period["start"] = iso(min(times))
    if discharge:
        period["end"] = iso(discharge[-1].observed_at)
    resource: JSON = {
        "resourceType": "Encounter",
        "id": encounter_id,
        "status": ENCOUNTER_STATUS.get(session.status, "unknown"),
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": f"Ketamine infusion session {planned.number} ({planned.plan.protocol_name})"}],
        "subject": {"reference": ctx["subject"]},
    }
    if period:
        resource["period"] = period
    if "start" in period and "end" in period:
        minutes = (discharge[-1].observed_at - min(times)) / timedelta(minutes=1)
        resource["length"] = quantity(round(minutes, 1), "min")
    participants = [
        {"individual": {"display": f"{who.display_name} ({role})"}}
        for who, role in ((session.nurse_signed_by, "signed"), (session.cosigned_by, "co-signed"))
        if who is not None
    ]
    if participants:
        resource["participant"] = participants
    if session.not_given_reason:
        resource["reasonCode"] = [{"text": f"Not given: {session.not_given_reason}"}]
    return resource
