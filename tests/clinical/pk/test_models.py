"""Model files: every model loads, cites its sources, and a bad file fails with one sentence."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from ketapath.clinical.datafiles import DATA_DIR, DataFileError
from ketapath.clinical.pharmacokinetics import base_mg_from_hydrochloride_mg, get_model, list_models
from ketapath.clinical.pharmacokinetics.loader import load_model_file
from ketapath.clinical.pharmacokinetics.substances import substances

REQUIRED = {"domino-1984", "herd-2007", "simons-2022"}


def test_required_models_are_present_with_their_facts() -> None:
    models = {m.id: m for m in list_models()}
    assert set(models) >= REQUIRED
    assert models["domino-1984"].parameters["V1"].per_kg
    assert models["domino-1984"].effect_site is not None
    assert not models["domino-1984"].has_variability
    assert models["herd-2007"].has_variability and models["herd-2007"].sampling_site == "venous"
    assert models["simons-2022"].metabolite is not None
    assert models["simons-2022"].metabolite.analyte == "S-norketamine"
    assert models["simons-2022"].sampling_site == "arterial"


@pytest.mark.parametrize("model", list_models(), ids=lambda m: m.id)
def test_every_parameter_names_a_source_and_a_locator(model) -> None:
    for p in model.parameters.values():
        assert p.cited.source.id and p.cited.locator, p.name
    assert model.cited.source.link.startswith("https://")


def test_molar_masses_reproduce_the_cited_reference_values() -> None:
    table = substances()
    assert table["ketamine"].molar_mass_g_per_mol == pytest.approx(237.7, abs=0.05)
    assert table["ketamine-hydrochloride"].molar_mass_g_per_mol == pytest.approx(274.2, abs=0.05)
    assert table["norketamine"].molar_mass_g_per_mol == pytest.approx(223.70, abs=0.01)


def test_hydrochloride_to_base() -> None:
    # 100 mg ketamine HCl x 237.73 / 274.19 (SWGDRUG 237.7 / 274.2) = 86.70 mg base.
    assert base_mg_from_hydrochloride_mg(100.0) == pytest.approx(100 * 237.7 / 274.2, rel=2e-4)


def test_simons_metabolite_uses_the_molar_mass_ratio() -> None:
    factor = get_model("simons-2022").metabolite.mass_factor  # type: ignore[union-attr]
    assert math.isclose(factor, 223.70 / 237.73, rel_tol=1e-4)


def _broken(tmp_path: Path, model_id: str, old: str, new: str) -> Path:
    source = DATA_DIR / "pk_models" / f"{model_id}.toml"
    target = tmp_path / source.name
    shutil.copy(source, target)
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("model_id", "old", "new", "message"),
    [
        ("domino-1984", 'unit = "L/kg"', 'unit = "L/stone"', "unit 'L/stone'"),
        ("domino-1984", "value = 0.063", "value = -0.063", "outside the plausible range"),
        (
            "domino-1984",
            'source = "domino-1984"\nlocator = "V1',
            'source = "nobody-1999"\nlocator = "V1',
            "unknown source 'nobody-1999'",
        ),
        ("domino-1984", 'sampling_site = "unknown"', 'sampling_site = "capillary"', "sampling_site"),
        ("domino-1984", 'rate_constant = "k31"', 'rate_constant = "k99"', "unknown parameter 'k99'"),
        ("herd-2007", "iiv = { cv_percent = 64 }", "iiv = { cv_percent = 640 }", "cv_percent"),
        ("herd-2007", 'clearance = "CL"', 'clearance = "V2"', "needs a clearance parameter"),
        ("simons-2022", 'to = "nk_central"', 'to = "nowhere"', "unknown compartment 'nowhere'"),
        ("otto-2021", "value = 0.023", "value = 0.5", "not positive semi-definite"),
        ("simons-2022", 'id = "simons-2022"', 'id = "simons-2023"', "must be lower-case and match"),
        ("domino-1984", "[parameters.k31]", "[parameters.k31]\nbogus = 1", "unknown fields ['bogus']"),
    ],
)
def test_a_bad_model_file_fails_with_one_clear_sentence(
    tmp_path: Path, model_id: str, old: str, new: str, message: str
) -> None:
    path = _broken(tmp_path, model_id, old, new)
    with pytest.raises(DataFileError) as info:
        load_model_file(path)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{model_id}.toml: ") and "\n" not in text


def test_an_unused_parameter_is_an_error(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "domino-1984",
        "[parameters.k10]",
        '[parameters.extra]\nvalue = 1\nunit = "L"\nsource = "domino-1984"\n\n[parameters.k10]',
    )
    with pytest.raises(DataFileError, match="never used"):
        load_model_file(path)
