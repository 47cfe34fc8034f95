"""The access log is complete: every URL that shows chart content writes exactly one row per view.

The walk resolves every URL pattern (as ``test_access_by_role`` does) and decides from the route
alone which ones show one patient's chart: a route with an ``mrn`` (the staff chart), an alert of
one patient (``alert_id``), and every page of the patient's portal (a patient login sees only its
own record). Each is opened once with GET; a page that answers 200 must have written exactly one
row, for that patient, by that user. A POST-only route answers 405 and writes nothing. A new URL
is walked without editing this file.

Also here: the live flowsheet fragment's rule (a row only when a poll carries chart rows the page
did not show yet), the FHIR export command's EXPORT row, and the log's append-only guard.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.accounts.policy import declared_permission
from ketapath.audit.models import AccessAction, AccessLog
from tests.web.test_access_by_role import all_url_names, samples  # noqa: F401  (samples: a fixture)

PORTAL_PERMISSIONS = {"portal.view", "portal.write"}
# Extra query strings that make a page show what it is for (the walk's one record of each kind).
QUERIES = {
    "questionnaires:fill": lambda s: f"?assignment={s['assignment_id']}",
}


def _chart_urls(samples_):
    """(name, url, audience) for every URL that shows one patient's chart content."""
    found = []
    for name, (view, kwargs) in sorted(all_url_names().items()):
        permission = declared_permission(view)
        if permission in PORTAL_PERMISSIONS:
            audience = "patient"
        elif "mrn" in kwargs or "alert_id" in kwargs:
            audience = "staff"
        else:
            continue
        url = reverse(name, kwargs={k: samples_[k] for k in kwargs})
        if name in QUERIES:
            url += QUERIES[name](samples_)
        found.append((name, url, audience))
    return found


def test_every_chart_url_writes_exactly_one_row_per_view(personas, samples, client, login):  # noqa: F811
    urls = _chart_urls(samples)
    patient = personas.patient_one
    assert len(urls) > 40, "the walk found too few chart URLs: has the URL layout changed?"
    problems: list[str] = []
    for audience in ("staff", "patient"):
        user = personas.prescriber if audience == "staff" else patient.user
        client.logout()
        login(user)
        for name, url, who in urls:
            if who != audience:
                continue
            before = AccessLog.objects.count()
            response = client.get(url)
            rows = list(AccessLog.objects.order_by("id")[before:])
            status = response.status_code
            if status == 200:
                if len(rows) != 1:
                    problems.append(f"{name} ({url}) as {audience}: {len(rows)} rows for one view")
                elif rows[0].patient_id != patient.pk or rows[0].user_id != user.pk:
                    problems.append(f"{name}: the row names the wrong patient or user")
            elif status == 405:
                if rows:
                    problems.append(f"{name}: a refused method wrote {len(rows)} rows")
            elif status == 302:
                # A redirect shows nothing; the page it leads to writes its own row.
                if len(rows) > 1:
                    problems.append(f"{name}: a redirect wrote {len(rows)} rows")
            else:
                problems.append(f"{name} ({url}) as {audience}: unexpected status {status}")
    assert problems == []


def test_the_live_fragment_logs_only_polls_that_carry_new_chart_rows(personas, samples, client, login):  # noqa: F811
    from ketapath.infusions.models import InfusionSession

    login(personas.nurse)
    session = InfusionSession.objects.get(pk=samples["session_id"])
    url = reverse("infusions:live", kwargs={"mrn": samples["mrn"], "session_id": session.pk})
    count = AccessLog.objects.count

    # Without a cursor the fragment carries every row: one row, marked as a live update.
    before = count()
    assert client.get(url).status_code == 200
    assert count() == before + 1
    assert AccessLog.objects.order_by("-id").first().action == AccessAction.VIEW_LIVE

    # A poll after the newest row shows nothing new: no row (a 5-second poll must not flood the log).
    cursor = timezone.now().isoformat()
    before = count()
    for _ in range(3):
        assert client.get(url, {"after": cursor}).status_code == 200
    assert count() == before

    # A poll that brings a row recorded since the cursor shows chart content: one row.
    import uuid

    from ketapath.infusions.models import VitalsEntry

    VitalsEntry.objects.create(
        session=session,
        observed_at=timezone.now(),
        recorded_at=timezone.now(),
        recorded_by=personas.nurse,
        client_key=uuid.uuid4(),
        phase="pre-dose",
        systolic_mmhg=118,
        diastolic_mmhg=76,
    )
    before = count()
    assert client.get(url, {"after": cursor}).status_code == 200
    assert count() == before + 1


def test_the_fhir_export_command_writes_an_export_row(personas, capsys):
    from ketapath.cli import main

    before = AccessLog.objects.count()
    assert main(["export", "fhir", "--patient", "a-0001", "--clinic", "clinic-a"]) == 0
    capsys.readouterr()
    rows = list(AccessLog.objects.order_by("id")[before:])
    assert len(rows) == 1
    row = rows[0]
    assert row.action == AccessAction.EXPORT
    assert row.patient_id == personas.patient_one.pk
    assert row.clinic_id == personas.clinic_a.pk
    assert row.user_id is None
    assert row.actor.startswith("command line")
    assert "export fhir" in row.path


def test_the_administrator_sees_who_exported(personas, client, login, capsys):
    from ketapath.cli import main

    assert main(["export", "fhir", "--patient", "a-0001", "--clinic", "clinic-a"]) == 0
    capsys.readouterr()
    login(personas.admin)
    page = client.get(reverse("audit:access_log")).content.decode()
    assert "Exported the record" in page
    assert "command line (OS user" in page


def test_a_failed_export_writes_no_row(personas, capsys):
    from ketapath.cli import main

    before = AccessLog.objects.count()
    assert main(["export", "fhir", "--patient", "NOPE-1"]) == 2
    capsys.readouterr()
    assert AccessLog.objects.count() == before


# ----------------------------------------------------------------------------------------------
# Append-only, also against code
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def logged(personas):
    return AccessLog.objects.create(
        clinic=personas.clinic_a, user=personas.nurse, patient=personas.patient_one, action="view", path="/x/"
    )


def test_rows_cannot_be_deleted_or_changed_in_bulk(logged):
    from ketapath.audit.models import AppendOnly

    rows = AccessLog.objects.filter(pk=logged.pk)
    with pytest.raises(AppendOnly):
        rows.delete()
    with pytest.raises(AppendOnly):
        rows.update(path="/changed/")
    with pytest.raises(AppendOnly):
        AccessLog.objects.all().delete()
    with pytest.raises(AppendOnly):
        AccessLog.objects.update(action="edit")
    logged.path = "/changed/"
    with pytest.raises(AppendOnly):
        AccessLog.objects.bulk_update([logged], ["path"])
    with pytest.raises(AppendOnly):
        AccessLog.objects.filter(pk=logged.pk).update_or_create(pk=logged.pk, defaults={"path": "/y/"})
    with pytest.raises(AppendOnly):
        AccessLog.objects.bulk_create(
            [logged], update_conflicts=True, update_fields=["path"], unique_fields=["id"]
        )
    stored = AccessLog.objects.get(pk=logged.pk)
    assert stored.path == "/x/"
    assert AccessLog.objects.count() == 1


def test_a_row_cannot_be_deleted_or_saved_again(logged):
    from ketapath.audit.models import AppendOnly

    with pytest.raises(AppendOnly):
        logged.delete()
    logged.path = "/changed/"
    with pytest.raises(AppendOnly):
        logged.save()
    with pytest.raises(AppendOnly):
        logged.save(force_update=True)
    assert AccessLog.objects.get(pk=logged.pk).path == "/x/"


def test_new_rows_can_still_be_written_one_by_one_and_in_bulk(personas):
    one = {"clinic": personas.clinic_a, "user": personas.nurse, "patient": personas.patient_one}
    AccessLog.objects.bulk_create([AccessLog(action="view", **one) for _ in range(3)])
    assert AccessLog.objects.count() == 3
