"""classify_scene and `saropt classify`: either modality or both, grid and bands, the
class band, memory-flat tiling, and named errors with no partial output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.inference import Runtime, classify_scene
from saropt.inference.runtime import TOLERANCE
from saropt.io.bigearthnet import read_bigearthnet_pair
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.models import create_model, save_model

runner = CliRunner()


@pytest.fixture
def scene(s1s2_scene: dict[str, Path]) -> dict[str, Path]:
    """The shared generated scene (tests/conftest.py)."""
    return s1s2_scene


def test_either_modality_or_both(
    scene: dict[str, Path], classifier_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = classifier_run[0] / "classifier.safetensors"
    c = len(classifier_run[1]["classes"])
    ref = read_raster(scene["s1"])
    outs = {}
    for name, kw in (("s1", {"s1": scene["s1"]}), ("s2", {"s2": scene["s2"]}),
                     ("both", {"s1": scene["s1"], "s2": scene["s2"]})):  # fmt: skip
        path = classify_scene(kw.get("s1"), kw.get("s2"), weights, tmp_path / f"{name}.tif")
        outs[name] = r = read_raster(path)
        assert r.grid == ref.grid and r.data.dtype == np.float32
        probs = r.data[:c]
        np.testing.assert_allclose(probs.sum(0), 1.0, atol=1e-5)
        np.testing.assert_array_equal(r.data[-1], probs.argmax(0) + 1)  # the class band
        assert r.descriptions[-1] == "class" and r.descriptions[0] == "p_water"
    assert outs["s1"].count == outs["s2"].count == c + 1
    both = outs["both"]
    assert both.count == c + 2 and both.descriptions[c] == "disagreement"
    np.testing.assert_allclose(both.data[:c], (outs["s1"].data[:c] + outs["s2"].data[:c]) / 2,
                               atol=1e-5)  # fmt: skip
    assert 0.0 <= both.data[c].min() and both.data[c].max() <= 1.0
    assert not np.allclose(outs["s1"].data[:c], outs["s2"].data[:c])


def test_default_and_onnx_paths_match_the_plain_fp32_path(
    scene: dict[str, Path], classifier_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = classifier_run[0] / "classifier.safetensors"
    maps = []
    for k, rt in (("plain", Runtime()), ("default", None), ("onnx", Runtime(backend="onnx"))):
        out = classify_scene(scene["s1"], scene["s2"], weights, tmp_path / f"{k}.tif", runtime=rt)
        maps.append(read_raster(out).data)
    for other in maps[1:]:
        np.testing.assert_allclose(other[:-1], maps[0][:-1], atol=TOLERANCE["fp32"])


def test_a_full_patch_stride_gives_blocks(
    scene: dict[str, Path], classifier_run: tuple[Path, Any], tmp_path: Path
) -> None:
    """With a stride of one patch the windows do not overlap: each is a constant block."""
    weights = classifier_run[0] / "classifier.safetensors"
    r = read_raster(classify_scene(None, scene["s2"], weights, tmp_path / "o.tif", stride=32))
    block = r.data[0, :32, :32]
    assert np.allclose(block, block[0, 0])


def _cli(*args: object) -> Any:
    return runner.invoke(app, ["classify", *[str(a) for a in args]])


def test_cli_and_its_named_errors(
    scene: dict[str, Path], classifier_run: tuple[Path, Any], tmp_path: Path
) -> None:
    weights = classifier_run[0] / "classifier.safetensors"
    ok = _cli("--s1", scene["s1"], "--weights", weights, "--out", tmp_path / "ok.tif")
    assert ok.exit_code == 0, ok.output
    g = read_raster(scene["s1"]).grid
    three = write_raster(tmp_path / "s1x3.tif", Raster(np.zeros((3, g.height, g.width),
                                                                 np.float32), g))  # fmt: skip
    other = Grid.from_origin(g.crs, g.transform.c + 500, g.transform.f, 10.0, g.width, g.height)
    shifted = write_raster(tmp_path / "s2_shift.tif",
                           Raster(read_raster(scene["s2"]).data, other, 0))  # fmt: skip
    matcher = create_model("resnet18", in_channels=2, width=4)
    foreign = save_model(matcher, tmp_path / "resnet", "resnet18", {"in_channels": 2, "width": 4})
    cases = [
        (("--s1", three, "--weights", weights), "BandCountError", "3 bands"),
        (("--s1", scene["s1"], "--s2", shifted, "--weights", weights), "Mismatch", ""),
        (("--s1", scene["s1"], "--weights", foreign), "ConfigError", "not a cross-modal"),
        (("--weights", weights), "ConfigError", "--s1, --s2"),
        (("--s1", tmp_path / "missing.tif", "--weights", weights), "NotFound", "missing.tif"),
    ]
    for i, (args, error, words) in enumerate(cases):
        out = tmp_path / f"bad{i}.tif"
        res = _cli(*args, "--out", out)
        assert res.exit_code == EXIT_BAD_INPUT, (args, res.output)
        assert error in res.output and words in res.output and "Traceback" not in res.output
        assert not out.exists() and not list(tmp_path.glob(f".bad{i}*"))


def test_single_modality_weights_refuse_the_other(scene: dict[str, Path], tmp_path: Path) -> None:
    kw = {"classes": 3, "s1_channels": 2, "s2_channels": 13, "backbone": "resnet18",
          "width": 4, "stem": "small", "latent": 8}  # fmt: skip
    model = create_model("cross_modal_classifier", **kw)
    w = save_model(model, tmp_path / "s1only", "cross_modal_classifier", kw,
                   modalities=["s1"], patch_size=16)  # fmt: skip
    res = _cli("--s2", scene["s2"], "--weights", w, "--out", tmp_path / "o.tif")
    assert res.exit_code == EXIT_BAD_INPUT and "trained on s1 only" in res.output


def test_bigearthnet_pairs_through_classify(data_dir: Path, tmp_path: Path) -> None:
    """The six real pairs as stacked GeoTIFFs through `saropt classify` (a smoke test of
    the real layout: 12-band L2A optical, 120 px patches, 19 classes)."""
    from saropt.io.bigearthnet import find_bigearthnet_pairs

    kw = {"classes": 19, "s1_channels": 2, "s2_channels": 12, "backbone": "resnet18",
          "width": 4, "stem": "small", "latent": 8}  # fmt: skip
    w = save_model(create_model("cross_modal_classifier", **kw), tmp_path / "ben",
                   "cross_modal_classifier", kw, patch_size=60)  # fmt: skip
    for k, (s1_dir, s2_dir) in enumerate(find_bigearthnet_pairs(data_dir / "bigearthnet_s1s2")):
        pair = read_bigearthnet_pair(s1_dir, s2_dir)
        s1 = write_raster(tmp_path / f"s1_{k}.tif", pair.sar)
        s2 = write_raster(tmp_path / f"s2_{k}.tif", pair.optical)
        res = _cli("--s1", s1, "--s2", s2, "--weights", w, "--out", tmp_path / f"p{k}.tif")
        assert res.exit_code == 0, res.output
        r = read_raster(tmp_path / f"p{k}.tif")
        assert r.grid == pair.sar.grid and r.count == 19 + 2
