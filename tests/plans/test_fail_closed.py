"""Safety fails closed: while a clinic setting a plan's limits need is unset, the plan is not
approved or scheduled, and the refusal names each missing setting with a link to set it (issue 12).
An unset limit is never read as "no limit"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketapath.clinic_settings.readiness import PLAN, missing_settings, setting_url
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values
from ketapath.clinical.dosing import DoseChoices
from ketapath.plans.actions import (
    SettingsMissing,
    approve_plan,
    create_local_protocol,
    recalculate,
    save_draft,
    schedule_sessions,
)
from ketapath.plans.compute import PlanInputs
from ketapath.plans.models import PlannedSession, PlanStatus, TreatmentPlan
from tests.plans.conftest import singh
from tests.safety import gated_test_value


def plan_gated(route: str) -> list[str]:
    """Every clinic setting that stops approving a plan on ``route`` (from the registry)."""
    return sorted(
        key for key, spec in all_specs().items() if PLAN in spec.gates or f"{PLAN}@{route}" in spec.gates
    )


IV_KEYS = plan_gated("iv")


def clear(personas, *keys):
    set_values(personas.clinic_a, personas.prescriber, dict.fromkeys(keys))


def restore(personas, *keys):
    set_values(personas.clinic_a, personas.prescriber, {k: gated_test_value(k) for k in keys})


def test_the_plan_gate_covers_the_issue_limits():
    # Issue 12: maximum rate per kg, maximum rate, maximum dose per session, weight age.
    assert {
        "dosing.iv.max_rate_mg_per_kg_per_h",
        "dosing.iv.max_rate_mg_per_h",
        "dosing.iv.max_dose_mg_per_session",
        "dosing.max_weight_age_days",
    } <= set(IV_KEYS)


@pytest.mark.parametrize("key", IV_KEYS)
def test_each_unset_setting_stops_approval_and_is_named(key, personas, ready_patient):
    clear(personas, key)
    plan = save_draft(ready_patient, personas.prescriber, singh())  # a draft can be written
    with pytest.raises(SettingsMissing) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert [m.key for m in refused.value.missing] == [key]
    label = all_specs()[key].label
    assert label in str(refused.value) and label in refused.value.errors["__all__"]
    assert refused.value.missing[0].url == setting_url(key)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.approved_at is None
    # Set again: the draft (calculated while it was unset) is recalculated, then approved.
    restore(personas, key)
    plan = recalculate(plan, personas.prescriber)
    assert not plan.limit_check["not_set"]
    approved = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert approved.status == PlanStatus.APPROVED


def test_a_clinic_with_nothing_set_is_refused_and_told_every_setting(personas, ready_patient):
    gated = [k for k, s in all_specs().items() if s.gates]
    clear(personas, *gated)  # as a new clinic starts
    plan = save_draft(ready_patient, personas.prescriber, singh())
    with pytest.raises(SettingsMissing) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert sorted(m.key for m in refused.value.missing) == IV_KEYS
    for key in IV_KEYS:
        assert all_specs()[key].label in str(refused.value)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_scheduling_stops_while_a_setting_is_unset(personas, ready_patient):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    plan = approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    clear(personas, "dosing.iv.max_rate_mg_per_h")
    with pytest.raises(SettingsMissing) as refused:
        schedule_sessions(plan, personas.nurse)
    assert [m.key for m in refused.value.missing] == ["dosing.iv.max_rate_mg_per_h"]
    assert not PlannedSession.objects.filter(plan=plan).exists()
    restore(personas, "dosing.iv.max_rate_mg_per_h")
    assert schedule_sessions(plan, personas.nurse)


def intranasal_plan(personas, patient):
    local = create_local_protocol(
        personas.clinic_a,
        personas.prescriber,
        {
            "name": "Local intranasal (test)",
            "indication": "test",
            "condition_group": "depression",
            "drug": "racemic-ketamine",
            "salt_basis": "base",
            "route": "intranasal",
            "setting": "outpatient",
            "dose": {"kind": "fixed-dose", "dose_mg": "prescriber"},
            "schedule": {"phase": [{"label": "once", "every_days": [1], "sessions": 1}]},
        },
    )
    today = timezone.localdate()
    inputs = PlanInputs(
        local.protocol_id,
        Decimal("70"),
        today,
        today + timedelta(days=1),
        DoseChoices(dose_mg=Decimal("50")),
    )
    return save_draft(patient, personas.prescriber, inputs)


def test_the_gate_follows_the_plans_route(personas, ready_patient):
    # The intravenous rates do not stop an intranasal plan; the intranasal maximum dose does.
    clear(personas, "dosing.iv.max_rate_mg_per_h", "dosing.intranasal.max_dose_mg_per_session")
    plan = intranasal_plan(personas, ready_patient)
    with pytest.raises(SettingsMissing) as refused:
        approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    assert [m.key for m in refused.value.missing] == ["dosing.intranasal.max_dose_mg_per_session"]
    restore(personas, "dosing.intranasal.max_dose_mg_per_session")
    plan = recalculate(plan, personas.prescriber)
    assert approve_plan(plan, personas.prescriber, result_key=plan.result_key).status == PlanStatus.APPROVED


# ------------------------------------------------------------------------------------------------
# Through the pages
# ------------------------------------------------------------------------------------------------


def plan_url(name, patient, **kwargs):
    return reverse(f"plans:{name}", kwargs={"mrn": patient.mrn, **kwargs})


@pytest.mark.parametrize("key", IV_KEYS)
def test_refusal_page_names_and_links_each_missing_setting(key, personas, ready_patient, login):
    clear(personas, key)
    plan = save_draft(ready_patient, personas.prescriber, singh())
    client = login(personas.prescriber)
    label = all_specs()[key].label
    link = f'href="{setting_url(key)}"'
    # Before trying: the draft says approval waits, and links to the setting.
    html = client.get(plan_url("plan", ready_patient)).content.decode()
    assert "Clinic safety settings not set: this plan cannot be approved" in html
    assert link in html and label in html
    # Trying: refused, with the setting named as a link in the error summary.
    response = client.post(
        plan_url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key}
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))
    ]
    assert "Not approved: clinic safety settings not set" in summary
    assert link in summary and label in summary
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_new_clinic_refusal_lists_every_setting_then_approves_once_set(personas, ready_patient, login):
    gated = [k for k, s in all_specs().items() if s.gates]
    clear(personas, *gated)
    plan = save_draft(ready_patient, personas.prescriber, singh())
    client = login(personas.prescriber)
    response = client.post(
        plan_url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key}
    )
    html = response.content.decode()
    for key in IV_KEYS:
        assert f'href="{setting_url(key)}"' in html
    assert TreatmentPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
    restore(personas, *gated)
    html = client.get(plan_url("plan", ready_patient)).content.decode()
    assert "Recalculate before approval" in html  # calculated while the limits were unset
    client.post(plan_url("recalculate", ready_patient, plan_id=plan.pk))
    plan.refresh_from_db()
    response = client.post(
        plan_url("approve", ready_patient, plan_id=plan.pk), {"result_key": plan.result_key}
    )
    assert response.status_code == 302
    assert TreatmentPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED


def test_unset_limit_rows_say_not_set_with_a_link_never_within(personas, ready_patient, login):
    clear(personas, "dosing.iv.max_dose_mg_per_session")
    save_draft(ready_patient, personas.prescriber, singh())
    html = login(personas.prescriber).get(plan_url("plan", ready_patient)).content.decode()
    row = html[html.index("Clinic: absolute maximum dose per session") :]
    row = row[: row.index("</tr>")]
    assert "Clinic setting not set" in row and "Within" not in row
    assert f'href="{setting_url("dosing.iv.max_dose_mg_per_session")}"' in row


def test_nurse_sees_what_is_missing_without_a_settings_link(personas, ready_patient, login):
    clear(personas, "dosing.max_weight_age_days")
    save_draft(ready_patient, personas.prescriber, singh())
    html = login(personas.nurse).get(plan_url("plan", ready_patient)).content.decode()
    assert all_specs()["dosing.max_weight_age_days"].label in html
    assert f'href="{setting_url("dosing.max_weight_age_days")}"' not in html  # nurses cannot open settings
    assert f'href="{reverse("clinic_settings:readiness")}"' in html


def test_schedule_button_waits_for_the_settings(personas, ready_patient, login):
    plan = save_draft(ready_patient, personas.prescriber, singh())
    approve_plan(plan, personas.prescriber, result_key=plan.result_key)
    clear(personas, "dosing.iv.max_rate_mg_per_kg_per_h")
    client = login(personas.nurse)
    html = client.get(plan_url("plan", ready_patient)).content.decode()
    assert "this plan cannot be scheduled" in html
    assert plan_url("schedule", ready_patient, plan_id=plan.pk) not in html  # no schedule button
    response = client.post(plan_url("schedule", ready_patient, plan_id=plan.pk), follow=True)
    assert "The plan cannot be scheduled" in response.content.decode()
    assert not PlannedSession.objects.exists()


# ------------------------------------------------------------------------------------------------
# The prescriber's dashboard
# ------------------------------------------------------------------------------------------------


def plans_cell(html):
    table = html[html.index('id="plans-h"') :]
    return table[: table.index("</table>")]


def test_dashboard_never_says_within_limits_while_a_limit_is_unset(personas, login):
    save_draft(personas.patient_one, personas.prescriber, singh())
    client = login(personas.prescriber)
    html = client.get(reverse("dashboard")).content.decode()
    assert "within limits" in plans_cell(html)
    assert "not ready for its first infusion" not in html
    clear(personas, "dosing.iv.max_rate_mg_per_h")
    html = client.get(reverse("dashboard")).content.decode()
    cell = plans_cell(html)
    assert "within limits" not in cell and "limits not set" in cell
    assert f'href="{reverse("clinic_settings:readiness")}"' in cell
    assert "The clinic is not ready for its first infusion" in html  # the banner


def test_draft_calculated_while_unset_is_not_within_limits(personas, login):
    clear(personas, "dosing.iv.max_rate_mg_per_h")
    save_draft(personas.patient_one, personas.prescriber, singh())
    restore(personas, "dosing.iv.max_rate_mg_per_h")
    assert missing_settings(personas.clinic_a.pk, PLAN, route="iv") == []
    cell = plans_cell(login(personas.prescriber).get(reverse("dashboard")).content.decode())
    assert "within limits" not in cell and "not checked against every limit" in cell


@pytest.mark.parametrize("role", ["nurse", "admin"])
def test_readiness_banner_on_every_staff_dashboard(role, personas, login):
    client = login(getattr(personas, role))
    assert "not ready for its first infusion" not in client.get(reverse("dashboard")).content.decode()
    clear(personas, "alerts.oncall_email")
    html = client.get(reverse("dashboard")).content.decode()
    assert "The clinic is not ready for its first infusion" in html
    assert f'href="{reverse("clinic_settings:readiness")}"' in html


def test_edit_page_says_before_saving_that_approval_will_wait(personas, login):
    clear(personas, "dosing.iv.max_rate_mg_per_h")
    client = login(personas.prescriber)
    html = client.get(plan_url("edit", personas.patient_one), {"protocol": "singh-2016-trd"}).content.decode()
    assert "A draft can be saved, but not approved yet" in html
    assert f'href="{setting_url("dosing.iv.max_rate_mg_per_h")}"' in html
    restore(personas, "dosing.iv.max_rate_mg_per_h")
    html = client.get(plan_url("edit", personas.patient_one), {"protocol": "singh-2016-trd"}).content.decode()
    assert "not approved yet" not in html
