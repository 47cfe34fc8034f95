"""The prescriber's PK page draws the predicted curve with its 90 % band under the strict CSP."""

from __future__ import annotations

from tests.browser.conftest import sign_in


def test_pk_page_draws_curve_and_band(demo, page, shot):
    sign_in(page, "dr.demo")
    page.get_by_role("navigation", name="Main").get_by_text("Clinic", exact=True).click()  # its menu
    page.get_by_role("link", name="Pharmacokinetics").click()
    page.get_by_label("Model").select_option("simons-2022")
    page.get_by_label("Weight (kg)").fill("80")
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_selector("[data-pk-chart][data-drawn='1'] .main-svg")
    # Two band edges plus the typical curve.
    assert page.locator("[data-pk-chart] g.trace.scatter").count() == 3
    caption = page.inner_text("figcaption")
    assert "ng/mL" in caption and "Source" in caption and "Simons" in caption
    shot(page, "pk-page")


def test_pk_page_refuses_bad_regimen(demo, page):
    sign_in(page, "dr.demo")
    page.goto("/pk/?model_id=domino-1984&weight_kg=70&until_min=60&start_0=0&duration_0=40&dose_0=-5")
    assert page.locator(".error-summary").count() == 1
    assert page.locator("[data-pk-chart]").count() == 0
