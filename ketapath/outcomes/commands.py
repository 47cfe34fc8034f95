"""The outcomes part of ``ketapath remind`` (run daily from cron; every step is idempotent)."""

from __future__ import annotations

from datetime import date

from ketapath.accounts.models import Clinic


def run_outcomes(today: date) -> list[str]:
    """Create the follow-up questionnaires due, send session reminders, refresh responder status.

    The questionnaire reminders run once more after the follow-ups are made, so a follow-up due
    today is e-mailed in the same run (each assignment is still reminded once). The responder
    statuses are refreshed so the cohort report opens warm.
    """
    from ketapath.outcomes.events import courses
    from ketapath.outcomes.followups import sync_follow_ups
    from ketapath.outcomes.reminders import remind_upcoming_sessions
    from ketapath.outcomes.responders import statuses_for
    from ketapath.patients.models import Patient
    from ketapath.questionnaires.reminders import remind_due_questionnaires

    synced = sync_follow_ups(today)
    follow_up_reminders = remind_due_questionnaires(today) if synced.created else 0
    sessions = remind_upcoming_sessions(today)
    refreshed = 0
    for clinic in Clinic.objects.order_by("pk"):
        ids = Patient.objects.active().filter(clinic=clinic).values("pk")
        refreshed += statuses_for(ids, courses(ids)).recomputed
    lines = [
        f"remind: {synced.created} follow-up questionnaire(s) assigned, {synced.closed} closed by a newer "
        f"session, {follow_up_reminders} follow-up reminder(s) sent",
        f"remind: {sessions.sent} session reminder(s) sent",
        f"remind: {refreshed} responder status(es) recomputed",
    ]
    for clinic_id, parts in sorted(synced.not_set.items()):
        name = Clinic.objects.filter(pk=clinic_id).values_list("name", flat=True).first()
        lines.append(f"remind: {name}: clinic setting not set: {'; '.join(parts)}")
    if sessions.clinics_not_set:
        lines.append(
            "remind: session reminders not sent (clinic setting not set) for: "
            + ", ".join(sessions.clinics_not_set)
        )
    return lines
