"""emboost.report.html: self-contained HTML (escaping, embedded PNGs, no external references)."""

from __future__ import annotations

import base64
import re

import matplotlib
import pytest

from emboost.report.html import Figure, ReportTable, Section, fmt, fmt_pm, render_html, write_report

matplotlib.use("Agg")


@pytest.fixture
def png(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    p = tmp_path / "line.png"
    fig.savefig(p)
    plt.close(fig)
    return p


def test_sections_tables_and_embedded_png(tmp_path, png):
    secs = [Section("one", "First <section>", ("x < y & z",), (ReportTable(("a", "b"), (("1", "<2>"),), "cap"),)),
            Section("two", "Second", figures=(Figure(png, "a line"),))]
    out = write_report(tmp_path / "r.html", "Title & co", secs, "sub")
    text = out.read_text()
    # every section in order, with an anchor in the navigation
    assert text.index('<section id="one">') < text.index('<section id="two">')
    assert '<a href="#one">' in text and '<a href="#two">' in text
    # text is escaped, never interpreted
    assert "x &lt; y &amp; z" in text and "&lt;2&gt;" in text and "Title &amp; co" in text
    assert "<2>" not in text
    # the image is the PNG's bytes, base64-encoded inline
    m = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert m and base64.b64decode(m.group(1)) == png.read_bytes()
    # self-contained: no external resources of any kind
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    assert "<script" not in text and "<link" not in text and "@import" not in text


def test_non_png_figure_is_refused(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_text("not an image")
    with pytest.raises(ValueError, match="not a PNG"):
        render_html("t", [Section("s", "S", figures=(Figure(bad),))])


def test_number_formats():
    assert fmt(None) == "-" and fmt(float("nan")) == "-"
    assert fmt(1234.5678, 3, "K") == "1.23e+03 K"
    assert fmt_pm(193.456, 12.3) == "193 ± 12"
    assert fmt_pm(2.3451e-9, 1.2e-12, 1e-9, "ns") == "2.3451 ± 0.0012 ns"
    assert fmt_pm(1.0, float("nan")) == "1"
