"""Where a patient stands on the pathway, and the one next action, for the chart overview.

The strip reads every pathway app through its public read module (the consultation's
``readiness`` and ``queries``, the plans' ``queries``), so it lives here, in the layer above them
all, and is registered on the patients app's overview (``ketapath.patients.overview``) from this
app's ``ready()``. A fixed number of queries, whatever the length of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse

from ketapath.accounts.policy import allowed
from ketapath.consultations.models import FinalDecision
from ketapath.consultations.queries import draft_evaluation, intake_for
from ketapath.consultations.readiness import plan_readiness
from ketapath.patients.models import PathwayStage
from ketapath.patients.overview import register_chart_strip
from ketapath.plans.queries import course_state

STAGES = ("Consultation", "Evaluation", "Consent", "Plan", "Sessions", "Follow-up")
AFTER_COURSE = {PathwayStage.FOLLOW_UP, PathwayStage.MAINTENANCE, PathwayStage.DISCHARGED}


@dataclass(frozen=True)
class Stage:
    name: str
    #: "done", "current", "stopped" (the pathway stops here for now) or "later".
    state: str
    note: str


@dataclass(frozen=True)
class NextAction:
    text: str
    label: str
    url: str


def day(on: date) -> str:
    """A date as the chart writes it: "Sat 5 Dec 2026"."""
    return f"{on:%a} {on.day} {on:%b %Y}"


def _url(name: str, patient: Any, anchor: str = "") -> str:
    return reverse(name, kwargs={"mrn": patient.mrn}) + anchor


def pathway(patient: Any, user: Any, today: date) -> tuple[list[Stage], NextAction | None]:
    """The six stages with their state, and the next action this user can take (or follow)."""
    intake = intake_for(patient)
    readiness = plan_readiness(patient)
    evaluation, consent = readiness.evaluation, readiness.consent
    course = course_state(patient, today)
    approved, draft, booked = course["approved"], course["draft"], course["booked"]
    after_course = patient.pathway_stage in AFTER_COURSE
    consent_ok = consent is not None and not any("consent" in r for r in readiness.reasons)
    allows_plan = evaluation is not None and evaluation.final_decision in FinalDecision.plan_allowing()

    done = {
        "Consultation": intake is not None and intake.visit_completed_at is not None,
        "Evaluation": allows_plan,
        "Consent": consent_ok,
        "Plan": approved is not None,
        "Sessions": after_course,
        "Follow-up": patient.pathway_stage == PathwayStage.DISCHARGED,
    }
    current = next((name for name in STAGES if not done[name]), None)
    stopped = current == "Evaluation" and evaluation is not None  # signed, allowing no plan
    notes = {
        "Consultation": "visit completed" if done["Consultation"] else ("intake started" if intake else ""),
        "Evaluation": (evaluation.get_final_decision_display() if evaluation is not None else ""),
        "Consent": f"version {consent.version.version}" if consent is not None else "",
        "Plan": (
            f"version {approved.version} approved"
            if approved is not None
            else (f"draft version {draft.version}" if draft is not None else "")
        ),
        "Sessions": f"{len(booked)} booked" if booked and not after_course else "",
        "Follow-up": patient.get_pathway_stage_display() if after_course else "",
    }
    stages = []
    for name in STAGES:
        if done[name]:
            state = "done"
        elif name == current:
            state = "stopped" if stopped else "current"
        else:
            state = "later"
        stages.append(Stage(name, state, notes[name]))
    if patient.is_entered_in_error or current is None:
        return stages, None
    return stages, _next_action(current, patient, user, intake, evaluation, course, stopped)


def _next_action(
    current: str, patient: Any, user: Any, intake: Any, evaluation: Any, course: dict[str, Any], stopped: bool
) -> NextAction | None:
    prescriber = allowed(user, "clinical.sign")
    if current == "Consultation":
        if not allowed(user, "consultations.intake"):
            return None
        if intake is None:
            return NextAction(
                "The intake is the first step.", "Record the intake", _url("consultations:intake", patient)
            )
        return NextAction(
            "The intake is started: record it, then complete the visit.",
            "Finish the intake visit",
            _url("consultations:intake", patient),
        )
    if current == "Evaluation":
        if stopped:
            return NextAction(
                f"The signed evaluation's decision is “{evaluation.get_final_decision_display()}”: "
                "no plan follows it.",
                "Open the evaluation",
                _url("consultations:evaluation", patient),
            )
        if prescriber:
            draft = draft_evaluation(patient)
            text = "A draft evaluation is saved." if draft is not None else "The visit is complete."
            return NextAction(
                f"{text} Review the proposal, decide and sign.",
                "Review and sign the evaluation",
                _url("consultations:evaluation", patient),
            )
        return NextAction(
            "The evaluation waits for the prescriber's signature.",
            "Open the evaluation",
            _url("consultations:evaluation", patient),
        )
    if current == "Consent":
        if not allowed(user, "consultations.consent"):
            return None
        return NextAction(
            "The evaluation allows treatment: record the patient's signed consent.",
            "Record the signed consent",
            _url("consultations:consent", patient, "#record"),
        )
    approved, draft, next_session = course["approved"], course["draft"], course["next_session"]
    if current == "Plan":
        if draft is not None and allowed(user, "plans.approve"):
            return NextAction(
                f"Draft version {draft.version} waits for approval.",
                "Review and approve the plan",
                _url("plans:plan", patient, "#approve"),
            )
        if draft is None and allowed(user, "plans.edit"):
            return NextAction(
                "The consultation is complete: write the treatment plan.",
                "Write the plan",
                _url("plans:edit", patient),
            )
        return NextAction(
            "The treatment plan waits for the prescriber.",
            "Open the treatment plan",
            _url("plans:plan", patient),
        )
    if current == "Sessions":
        if not course["booked"] and allowed(user, "plans.schedule"):
            return NextAction(
                f"Version {approved.version} is approved: book its sessions.",
                "Schedule the sessions",
                _url("plans:plan", patient, "#schedule"),
            )
        if next_session is not None and allowed(user, "infusions.view"):
            return NextAction(
                f"Session {next_session.number} on {day(next_session.planned_on)}.",
                "Open the sessions",
                _url("infusions:patient", patient),
            )
        return None
    if allowed(user, "clinical.view"):
        return NextAction(
            "Between and after sessions: the outcomes.",
            "Open the outcomes",
            _url("outcomes:patient", patient),
        )
    return None


def strip_context(patient: Any, user: Any, today: date) -> dict[str, Any]:
    stages, action = pathway(patient, user, today)
    step = (
        {"title": "Next action", "text": action.text, "label": action.label, "url": action.url}
        if action is not None
        else None
    )
    return {"stages": stages, "next_step": step}


def register() -> None:
    register_chart_strip("web/_pathway.html", strip_context)
