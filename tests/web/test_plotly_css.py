"""The committed Plotly stylesheet matches the installed plotly.js (regenerate after upgrades)."""

from ketapath.web.plotly_css import OUTPUT, stylesheet


def test_committed_plotly_css_matches_the_bundle():
    assert OUTPUT.read_text(encoding="utf-8") == stylesheet(), (
        "plotly changed: run `python -m ketapath.web.plotly_css` and commit the stylesheet"
    )
    assert ".js-plotly-plot .plotly .main-svg{" in OUTPUT.read_text(encoding="utf-8")


def test_committed_guard_script_matches_the_bundle():
    from ketapath.web.plotly_css import GUARD, guard_script

    assert GUARD.read_text(encoding="utf-8") == guard_script()
