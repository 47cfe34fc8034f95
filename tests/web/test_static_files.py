"""Static files: Plotly's one bundle found, compression done once, Plotly only on chart pages."""

from __future__ import annotations

import gzip

import brotli
import pytest

from ketapath.web import static_files
from ketapath.web.plotly_css import BUNDLE
from ketapath.web.static_files import CompressOnce, PlotlyFinder


def test_brotli_at_quality_10_decompresses_to_the_content():
    data = b"Plotly.react(element, traces, layout);\n" * 500
    assert brotli.decompress(static_files._brotli(data)) == data


def test_plotly_finder_offers_the_minified_bundle_and_nothing_else():
    finder = PlotlyFinder()
    assert [name for name, _storage in finder.list(None)] == ["plotly.min.js"]
    assert finder.find("plotly/plotly.min.js") == str(BUNDLE)
    assert finder.find("plotly/plotly.min.js", find_all=True) == [str(BUNDLE)]
    assert finder.find("plotly/widgetbundle.js") is None
    assert finder.find("plotly/widgetbundle.js", find_all=True) == []


def test_compression_is_done_once_per_content(tmp_path, monkeypatch):
    text = b"function draw() { return 'chart'; }\n" * 200
    first, copy = tmp_path / "a.js", tmp_path / "a.0123456789ab.js"
    first.write_bytes(text)
    copy.write_bytes(text)
    calls: list[int] = []
    real = static_files._brotli
    monkeypatch.setattr(static_files, "_brotli", lambda d: calls.append(1) or real(d))
    compressor = CompressOnce(quiet=True)
    assert sorted(compressor.compress(str(first))) == [f"{first}.br", f"{first}.gz"]
    compressor.compress(str(copy))  # the same content: compressed once
    assert len(calls) == 1
    assert brotli.decompress((tmp_path / "a.0123456789ab.js.br").read_bytes()) == text
    assert gzip.decompress((tmp_path / "a.0123456789ab.js.gz").read_bytes()) == text
    # A later run finds the copies up to date: no work at all.
    CompressOnce(quiet=True).compress(str(first))
    assert len(calls) == 1
    # A changed file (collectstatic copied a new version) is compressed afresh.
    first.write_bytes(text + b"// changed\n")
    CompressOnce(quiet=True).compress(str(first))
    assert len(calls) == 2
    assert brotli.decompress((tmp_path / "a.js.br").read_bytes()).endswith(b"// changed\n")


@pytest.mark.django_db
def test_plotly_loads_only_on_a_page_that_draws_a_chart(client, personas):
    client.force_login(personas.patient_one.user)
    # No journal entry yet: no chart, so neither Plotly nor its style sheet.
    html = client.get("/portal/journal/").content.decode()
    assert "plotly" not in html
    html = client.get("/portal/progress/").content.decode()
    assert "plotly" not in html
