"""Two nurses charting the same session at once: every entry is kept, a form sent twice at the
same moment is kept once, and an entry racing the signature is either before it or refused.

Runs on SQLite and on PostgreSQL (``DATABASE_URL``): each client works in its own thread with its
own database connection, released at the same moment by a barrier. PostgreSQL makes the second
writer wait for the session's row lock. The SQLite *test* database is an in-memory database in
shared-cache mode, which answers "table is locked" at once instead of waiting as the application's
file database does (``transaction_mode IMMEDIATE``, 20 s timeout): there the client sends the same
form again, as a browser's retry would, which the idempotency key makes harmless.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse

from ketapath.accounts.models import Role
from ketapath.infusions import actions
from ketapath.infusions.models import InfusionSession, VitalsEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PER_NURSE = 8


def client_for(user) -> Client:
    client = Client()
    retrying(client.force_login, user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def retrying(call, *args, **kwargs):
    """``call``, sent again while SQLite's shared-cache test database says it is locked (as an
    error, as the session store's error while signing in, or as Django's 400 when the locked
    table was the login session's)."""
    sqlite = connections["default"].vendor == "sqlite"
    for _ in range(1000):
        try:
            result = call(*args, **kwargs)
        except (OperationalError, CreateError, UpdateError) as exc:
            # Django's database session store answers the same lock with CreateError or
            # UpdateError (a sign-in's session saved while the other thread holds the table).
            if not sqlite or (isinstance(exc, OperationalError) and "locked" not in str(exc)):
                raise
        else:
            if not (sqlite and getattr(result, "status_code", None) == 400):
                return result
        time.sleep(0.01)
    raise AssertionError("still locked after 1000 tries")


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job):
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def test_two_nurses_charting_at_once_keep_every_entry(chart, personas):
    second = UserFactory(username="nurse.a2", clinic=personas.clinic_a, role=Role.NURSE)
    session = chart.session
    url = reverse("infusions:vitals", kwargs={"mrn": session.patient.mrn, "session_id": session.pk})
    shared_key = str(uuid.uuid4())  # the same form sent by both at the same moment
    statuses: dict[str, list[int]] = {"a": [], "b": []}

    def nurse(name, user, systolic):
        def job():
            client = client_for(user)
            for n in range(PER_NURSE):
                form = {"client_key": str(uuid.uuid4()), "systolic_mmhg": systolic + n, "diastolic_mmhg": 70}
                response = retrying(client.post, url, form, HTTP_HX_REQUEST="true")
                statuses[name].append(response.status_code)
                assert b"Not saved" not in response.content
            retrying(
                client.post, url, {"client_key": shared_key, "heart_rate_bpm": 77}, HTTP_HX_REQUEST="true"
            )

        return job

    run_together(nurse("a", personas.nurse, 110), nurse("b", second, 130))
    assert statuses == {"a": [200] * PER_NURSE, "b": [200] * PER_NURSE}
    rows = VitalsEntry.objects.filter(session=session)
    assert rows.count() == 2 * PER_NURSE + 1
    assert sorted(rows.filter(systolic_mmhg__isnull=False).values_list("systolic_mmhg", flat=True)) == sorted(
        [110 + n for n in range(PER_NURSE)] + [130 + n for n in range(PER_NURSE)]
    )
    assert {r.recorded_by_id for r in rows} == {personas.nurse.pk, second.pk}
    # The session lock orders the entries: recorded times grow with the row ids (the live page's cursor).
    ordered = list(rows.order_by("id").values_list("recorded_at", flat=True))
    assert ordered == sorted(ordered)


def test_an_entry_racing_the_signature_is_before_it_or_refused(chart, personas):
    chart.whole_session(sign=False)
    session = chart.session
    outcome: dict[str, object] = {}

    def sign():
        retrying(actions.sign_session, session, personas.nurse)

    def chart_late():
        try:
            outcome["entry"] = retrying(chart.vitals, user=personas.prescriber).entry
        except actions.SessionLocked as exc:
            outcome["refused"] = exc

    run_together(sign, chart_late)
    signed = InfusionSession.objects.get(pk=session.pk)
    assert signed.is_signed
    if "entry" in outcome:
        assert outcome["entry"].recorded_at <= signed.nurse_signed_at
    else:
        assert "refused" in outcome
