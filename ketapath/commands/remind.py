"""``ketapath remind``: assign questionnaires, send reminders, escalate urgent alerts (run from cron).

Idempotent: a reminder is sent once, an assignment created once, an alert escalated once, however
often it runs.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ketapath.commands.django_setup import setup_django

    setup_django()
    from django.utils import timezone

    from ketapath.questionnaires.actions import assign_scheduled

    today = timezone.localdate()
    assigned = assign_scheduled(today)
    print(f"remind: {assigned} questionnaire(s) assigned by schedule")
    # Each patient's one message of the run: appointments, sessions and questionnaires due.
    from ketapath.portal.reminders import run_outcomes

    for line in run_outcomes(today):
        print(line)
    from ketapath.alerts.actions import escalate_due_alerts
    from ketapath.alerts.notifications import summary_line

    # Urgent alerts raised outside the clinic and not acknowledged in time reach the second contact.
    print(summary_line(escalate_due_alerts(timezone.now())))
    return 0
