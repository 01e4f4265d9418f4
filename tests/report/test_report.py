"""saropt.report: stretch against hand values, HTML escaping and structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from saropt.report import Section, rgb, save_png, stretch, write_report


class TestStretch:
    def test_hand_values(self) -> None:
        band = np.arange(101, dtype=np.float32).reshape(1, 101)  # percentiles 2 and 98 = 2, 98
        out = stretch(band)
        np.testing.assert_allclose(out[0, [0, 2, 50, 98, 100]], [0, 0, 0.5, 1, 1], atol=1e-6)

    def test_nan_and_constant(self) -> None:
        band = np.array([[np.nan, 1.0], [1.0, 1.0]])
        out = stretch(band)
        assert np.isfinite(out).all() and out.max() == 0.0

    def test_rgb_shape_and_common_stretch(self) -> None:
        img = np.stack([np.full((4, 5), v, np.float32) for v in (0.0, 50.0, 100.0)])
        out = rgb(img, [0, 1, 2])
        assert out.shape == (4, 5, 3)
        np.testing.assert_allclose(out[0, 0], [0.0, 0.5, 1.0], atol=0.03)


class TestHtmlReport:
    def test_escapes_and_lists_content(self, tmp_path: Path) -> None:
        save_png(tmp_path / "img" / "a.png", np.zeros((4, 4)), cmap="gray")
        path = write_report(
            tmp_path / "r.html",
            "demo <1>",
            [
                Section(
                    "S & T",
                    paragraphs=["x < y"],
                    tables=[(("name", "value"), [["rmse", 0.123456], ["n", 7]])],
                    images=[("img/a.png", "caption")],
                )
            ],
        )
        text = path.read_text()
        assert "<title>demo &lt;1&gt;</title>" in text and "<h2>S &amp; T</h2>" in text
        assert "<p>x &lt; y</p>" in text
        assert '<td class="n">0.1235</td>' in text and '<td class="n">7</td>' in text
        assert "src='img/a.png'" in text and (tmp_path / "img" / "a.png").stat().st_size > 0


def test_f1_against_size_draws_one_line_per_setting_and_modality() -> None:
    from saropt.report.classification import f1_size_figure

    runs = {
        f"{s}/{n}": {"setting": s, "train_length": n, "s1": {"weighted_f1": 0.1 * k},
                     "s2": {"weighted_f1": 0.2 * k}}
        for k, (s, n) in enumerate([("C", 128), ("C", 512), ("CTM", 128), ("CTM", 512)])
    }  # fmt: skip
    fig = f1_size_figure(runs)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    c_s2 = next(ln for ln in lines if ln.get_label() == "C S2")
    assert list(c_s2.get_xdata()) == [128, 512]
    assert list(c_s2.get_ydata()) == [0.0, 0.2]
    assert c_s2.get_linestyle() == "-"


def test_confusion_figure_counts_dominant_classes() -> None:
    from saropt.report.classification import confusion_figure

    y = np.array([[0.6, 0.4], [0.2, 0.8], [0.9, 0.1]])
    p = np.array([[0.4, 0.6], [0.1, 0.9], [0.7, 0.3]])
    fig = confusion_figure(p, y, ["a", "b"], "t")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0", "1", "1", "1"]


def test_urban_error_map_colours_each_outcome() -> None:
    from saropt.report.urban import ERROR_COLOURS, busiest_window, error_map

    prob = np.array([[0.9, 0.9], [0.1, 0.1]])
    label = np.array([[1, 0], [1, 0]])
    m = error_map(prob, label)
    assert tuple(m[0, 0]) == ERROR_COLOURS["true positive"]
    assert tuple(m[0, 1]) == ERROR_COLOURS["false positive"]
    assert tuple(m[1, 0]) == ERROR_COLOURS["false negative"]
    assert tuple(m[1, 1]) == ERROR_COLOURS["true negative"]
    big = np.zeros((40, 40))
    big[30:36, 22:28] = 1
    rows, cols = busiest_window(big, 16)
    assert big[rows, cols].sum() == 36 and rows.stop - rows.start == 16


def test_utilisation_bars_and_d_util_curve() -> None:
    from saropt.report.urban import d_util_figure, utilisation_figure

    paper = {"u_sar_given_opt": [0.37, 0.12, 5], "u_opt_given_sar": [0.17, 0.04, 5],
             "d_util": [0.2, 0.14, 5]}  # fmt: skip
    fig = utilisation_figure(paper)
    heights = [round(p.get_height(), 3) for p in fig.axes[0].patches]
    assert heights == [0.37, 0.17, 0.2]
    history = [{"epoch": float(e), "d_util": 0.1 * e, "u_sar_given_opt": 0.2 * e,
                "u_opt_given_sar": 0.1 * e} for e in (1, 2, 3)]  # fmt: skip
    lines = d_util_figure([history]).axes[0].get_lines()
    d = next(ln for ln in lines if ln.get_label() == "d_util")
    assert list(d.get_xdata()) == [1.0, 2.0, 3.0]
    assert list(d.get_ydata()) == pytest.approx([0.1, 0.2, 0.3])


class TestRegistrationFigures:
    def test_flow_colours_by_hand(self) -> None:
        from saropt.report.registration import flow_colours

        flow = np.zeros((2, 1, 5))
        flow[:, 0, 1] = (4.0, 0.0)  # right: red
        flow[:, 0, 2] = (-4.0, 0.0)  # left: cyan
        flow[:, 0, 3] = (2.0, 0.0)  # half the scale: half saturated red
        flow[:, 0, 4] = (np.nan, 0.0)  # unknown: black
        c = flow_colours(flow, 4.0)[0]
        np.testing.assert_allclose(c[0], [1, 1, 1])  # no displacement: white
        np.testing.assert_allclose(c[1], [1, 0, 0])
        np.testing.assert_allclose(c[2], [0, 1, 1])
        np.testing.assert_allclose(c[3], [1, 0.5, 0.5])
        np.testing.assert_allclose(c[4], [0, 0, 0])

    def test_checkerboard_alternates_cells(self) -> None:
        from saropt.report.registration import checkerboard

        a, b = np.zeros((4, 6)), np.ones((4, 6))
        board = checkerboard(a, b, 2)
        np.testing.assert_array_equal(board[:2], [[0, 0, 1, 1, 0, 0]] * 2)
        np.testing.assert_array_equal(board[2:], [[1, 1, 0, 0, 1, 1]] * 2)
        with pytest.raises(ValueError, match="one shape"):
            checkerboard(a, np.ones((4, 5)), 2)
