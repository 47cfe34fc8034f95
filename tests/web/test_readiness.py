"""The clinic readiness page and ``ketapath readiness``: every unset safety setting, what it stops
and where to set it (issue 12: safety fails closed)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ketapath.cli import main
from ketapath.clinic_settings.readiness import first_infusion_missing, setting_url
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values
from tests.factories import ClinicFactory

URL = "/clinic/readiness/"


def gated_keys():
    return [k for k, s in all_specs().items() if s.gates]


def clear(personas, *keys):
    set_values(personas.clinic_a, personas.prescriber, dict.fromkeys(keys))


def test_url_and_settings_page_keep_their_addresses():
    assert reverse("clinic_settings:readiness") == URL
    assert reverse("clinic_settings:page") == "/clinic/settings/"


@pytest.mark.parametrize("role", ["prescriber", "nurse", "admin"])
def test_ready_clinic_says_so_plainly(role, personas, login):
    html = login(getattr(personas, role)).get(URL).content.decode()
    assert "Ready for the first infusion" in html and "Not ready" not in html


def test_each_unset_setting_is_listed_with_group_label_what_it_stops_and_link(personas, login):
    clear(personas, "dosing.iv.max_rate_mg_per_h", "vitals.during-spo2-low", "alerts.escalate_after_min")
    html = login(personas.prescriber).get(URL).content.decode()
    assert "Not ready for the first infusion: 3 safety settings not set" in html
    assert "Ready for the first infusion</h2>" not in html
    for key, stops in (
        ("dosing.iv.max_rate_mg_per_h", "approving a plan, starting an infusion"),
        ("vitals.during-spo2-low", "starting an infusion"),
        ("alerts.escalate_after_min", "escalating a critical alert"),
    ):
        spec = all_specs()[key]
        row = html[html.index(f'id="missing-{key}"') :]
        row = row[: row.index("</tr>")]
        assert spec.group in row and spec.label in row and stops in row
        assert f'href="{setting_url(key)}"' in row


def test_a_new_clinic_lists_everything_it_must_set(personas, login):
    clear(personas, *gated_keys())
    html = login(personas.admin).get(URL).content.decode()
    missing = first_infusion_missing(personas.clinic_a.pk)
    assert len(missing) >= 20
    for m in missing:
        assert f'href="{m.url}"' in html  # administrators may open the settings page
    # Routes other than intravenous: needed before a plan on that route.
    assert "Needed before a plan on the intranasal route" in html
    assert f'href="{setting_url("dosing.intranasal.max_dose_mg_per_session")}"' in html


def test_nurse_sees_the_list_without_settings_links(personas, login):
    clear(personas, "dosing.iv.max_rate_mg_per_h")
    html = login(personas.nurse).get(URL).content.decode()
    assert all_specs()["dosing.iv.max_rate_mg_per_h"].label in html
    assert "A prescriber sets it" in html and setting_url("dosing.iv.max_rate_mg_per_h") not in html


def test_linked_from_settings_page_and_staff_navigation(personas, login):
    client = login(personas.prescriber)
    assert f'href="{URL}"' in client.get(reverse("clinic_settings:page")).content.decode()
    for role in ("prescriber", "nurse", "admin"):
        assert f'href="{URL}"' in login(getattr(personas, role)).get(reverse("dashboard")).content.decode()
    patient = login(personas.patient_one.user).get(reverse("portal:home")).content.decode()
    assert f'href="{URL}"' not in patient


def test_each_clinic_sees_its_own(personas, login):
    set_values(personas.clinic_b, personas.prescriber, {"dosing.iv.max_rate_mg_per_h": None})
    assert "Ready for the first infusion" in login(personas.nurse).get(URL).content.decode()
    assert "Not ready" in login(personas.nurse_b).get(URL).content.decode()


# ------------------------------------------------------------------------------------------------
# ketapath readiness
# ------------------------------------------------------------------------------------------------


def test_command_ready_clinic_exits_0(personas, capsys):
    assert main(["readiness", "--clinic", "clinic-a"]) == 0
    assert capsys.readouterr().out.strip() == "clinic-a: ready for the first infusion"


def test_command_one_line_per_missing_setting_exits_1(personas, capsys):
    clear(personas, "dosing.iv.max_rate_mg_per_h", "alerts.oncall_email")
    assert main(["readiness", "--clinic", "clinic-a"]) == 1
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert len(lines) == 2
    rate, oncall = all_specs()["dosing.iv.max_rate_mg_per_h"], all_specs()["alerts.oncall_email"]
    assert f"dosing.iv.max_rate_mg_per_h  {rate.group}: {rate.label} (mg/h)" in lines
    assert f"alerts.oncall_email  {oncall.group}: {oncall.label}" in lines
    assert "not ready" in out.err


def test_command_json(personas, capsys):
    clear(personas, "monitoring.vitals_interval_min")
    assert main(["readiness", "--clinic", "clinic-a", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    spec = all_specs()["monitoring.vitals_interval_min"]
    assert data == {
        "clinic": "clinic-a",
        "ready": False,
        "missing": [
            {
                "key": "monitoring.vitals_interval_min",
                "label": spec.label,
                "group": spec.group,
                "unit": "min",
                "stops": ["infusion"],
            }
        ],
    }
    clear(personas)
    set_values(personas.clinic_a, personas.prescriber, {"monitoring.vitals_interval_min": "15"})
    assert main(["readiness", "--clinic", "clinic-a", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"clinic": "clinic-a", "ready": True, "missing": []}


def test_command_new_clinic_lists_every_first_infusion_setting(personas, capsys):
    clear(personas, *gated_keys())
    assert main(["readiness", "--clinic", "clinic-a", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [m["key"] for m in data["missing"]] == [
        m.key for m in first_infusion_missing(personas.clinic_a.pk)
    ]
    assert {"dosing.iv.max_rate_mg_per_h", "vitals.during-spo2-low", "alerts.oncall_email"} <= {
        m["key"] for m in data["missing"]
    }


def test_command_usage_errors_exit_2(personas, capsys):
    assert main(["readiness"]) == 2  # two clinics and no --clinic
    err = capsys.readouterr().err
    assert "clinic-a" in err and "clinic-b" in err and "--clinic" in err
    assert main(["readiness", "--clinic", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere" in err


@pytest.mark.django_db
def test_command_without_clinic_uses_the_only_one(capsys):
    ClinicFactory(slug="solo")
    assert main(["readiness"]) == 1  # a new clinic has nothing set
    out = capsys.readouterr()
    assert "solo: not ready" in out.err and "dosing.iv.max_rate_mg_per_h" in out.out


def test_demo_clinic_is_ready_and_its_plans_were_approved_against_set_limits(demo, capsys):
    from ketapath.demo.clinic_settings import DEMO_SETTINGS
    from ketapath.plans.models import PlanStatus, TreatmentPlan

    assert main(["readiness", "--clinic", "demo"]) == 0
    assert capsys.readouterr().out.strip() == "demo: ready for the first infusion"
    assert DEMO_SETTINGS["alerts.oncall_email"].endswith("@demo.ketapath.invalid")  # never a real inbox
    approved = TreatmentPlan.objects.filter(patient__clinic__slug="demo", status=PlanStatus.APPROVED)
    assert approved.exists()
    for plan in approved:  # the settings were set before any demo plan was approved
        assert plan.limit_check["not_set"] == [], plan.patient.mrn
        assert plan.clinic_limits["max_dose_mg_per_session"] is not None


def test_other_routes_are_needed_only_before_a_plan_on_them(personas, login, capsys):
    clear(personas, "dosing.oral.max_dose_mg_per_session")
    html = login(personas.prescriber).get(URL).content.decode()
    assert "Ready for the first infusion" in html  # the first infusion is intravenous
    section = html[html.index('id="route-oral"') :]
    assert "Needed before a plan on the oral route" in section
    assert f'href="{setting_url("dosing.oral.max_dose_mg_per_session")}"' in section
    assert 'id="route-intranasal"' not in html  # nothing missing there
    assert main(["readiness", "--clinic", "clinic-a"]) == 0
