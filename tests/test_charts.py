"""The server-drawn charts of the model pages: well-formed SVG, one bar per filled bin."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from classification import charts

SVG = "{http://www.w3.org/2000/svg}"


def _bins(filled: dict[int, tuple[int, float, float]]) -> list[dict[str, object]]:
    """15 equal-width bins; ``filled`` maps a bin index to (count, confidence, accuracy)."""
    rows: list[dict[str, object]] = []
    for i in range(15):
        count, confidence, accuracy = filled.get(i, (0, None, None))
        rows.append(
            {
                "low": round(i / 15, 4),
                "high": round((i + 1) / 15, 4),
                "count": count,
                "confidence": confidence,
                "accuracy": accuracy,
            }
        )
    return rows


def _parse(svg: str) -> ET.Element:
    # Parses this module's own output in a test, not untrusted input: defusedxml is not needed.
    return ET.fromstring(svg)  # noqa: S314


def _bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]


def test_it_draws_one_bar_per_non_empty_bin_in_well_formed_svg() -> None:
    bins = _bins({9: (3, 0.62, 0.33), 12: (10, 0.83, 0.9), 14: (40, 0.98, 1.0)})
    root = _parse(charts.reliability_svg(bins, ece=0.031, ece_before=0.12))
    assert root.tag == f"{SVG}svg"
    bars = _bars(root)
    assert len(bars) == 3
    counts = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "count"]
    assert counts == ["3", "10", "40"]
    # A taller bar for a higher accuracy, and the full-accuracy bar reaches the top of the plot.
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] < heights[1] < heights[2] == charts.PLOT_H
    assert float(bars[2].get("y", "0")) == charts.TOP


def test_it_states_the_calibration_error_and_describes_itself_for_screen_readers() -> None:
    svg = charts.reliability_svg(_bins({14: (5, 0.97, 0.8)}), ece=0.034, ece_before=0.091)
    root = _parse(svg)
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text is not None
    assert "ECE 0.034" in title.text and "0.091" in title.text
    assert root.get("role") == "img" and root.get("aria-label") == title.text
    assert desc is not None and root.get("aria-describedby") == desc.get("id")
    assert desc.text is not None and "5 items" in desc.text and "accuracy 0.80" in desc.text
    labels = {e.text for e in root.iter(f"{SVG}text") if e.get("class") == "axis-label"}
    assert labels == {"Confidence (calibrated)", "Accuracy"}
    assert [e for e in root.iter(f"{SVG}line") if e.get("class") == "diagonal"]


def test_it_handles_empty_or_missing_metrics() -> None:
    for reliability in (None, [], _bins({})):
        root = _parse(charts.reliability_svg(reliability))
        assert _bars(root) == []
        assert any(e.get("class") == "no-data" for e in root.iter(f"{SVG}text"))
        title = root.find(f"{SVG}title")
        assert title is not None and title.text == "Reliability diagram"


def test_it_skips_malformed_bins_instead_of_failing() -> None:
    rows: list[dict[str, object]] = [
        {"low": 0.0, "high": 0.5, "count": 2, "confidence": None, "accuracy": 0.5},
        {"low": 0.5, "high": 1.0, "count": "7", "confidence": 0.7, "accuracy": 0.7},
        {"low": 0.5, "high": 1.0, "count": 4, "confidence": 0.8, "accuracy": 0.75},
    ]
    assert len(_bars(_parse(charts.reliability_svg(rows, ece=None)))) == 1


def test_text_in_the_chart_is_escaped() -> None:
    svg = charts.reliability_svg([], element_id='x"><script>')
    assert "<script>" not in svg
    _parse(svg)


def test_confusion_cells_shade_by_share_of_the_true_row() -> None:
    cells = charts.confusion_cells([[8, 2], [0, 0]])
    assert [c.count for c in cells[0]] == [8, 2]
    assert cells[0][0].share == 0.8 and cells[0][0].diagonal
    assert not cells[0][1].diagonal and "180, 35, 24" in cells[0][1].style
    assert "6, 118, 71" in cells[0][0].style
    assert cells[1][0].style == "" and cells[1][1].share == 0.0  # an empty row: no shading
    assert charts.confusion_cells(None) == []
