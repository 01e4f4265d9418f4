"""`saropt match train|eval`: configs per approach, overrides, results and figures."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.cli.match import parse_overrides
from saropt.errors import ConfigError
from saropt.tasks.hard_negatives import HardNegativeConfig
from saropt.tasks.keypoint_matching import TranslateMatchConfig
from saropt.tasks.matching import PairMatchConfig, ShiftConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("matching_shift_tiny.yaml", ShiftConfig),
        ("matching_pairs_tiny.yaml", PairMatchConfig),
        ("matching_translate_sift_tiny.yaml", TranslateMatchConfig),
        ("matching_hard_negatives_tiny.yaml", HardNegativeConfig),
    ],
)
def test_tiny_yaml_is_the_default_config(name: str, cls: type) -> None:
    assert cls.from_yaml(CONFIGS / name) == cls()  # type: ignore[attr-defined]


def test_overrides_are_read_as_yaml() -> None:
    assert parse_overrides(["epochs=3", "lr=1e-4", "models=[descriptor]", "a = b"]) == {
        "epochs": 3,
        "lr": 1e-4,
        "models": ["descriptor"],
        "a": "b",
    }
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["epochs"])


def invoke(*args: str) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_train_then_eval_a_shift_classifier_and_a_matcher(tmp_path: Path) -> None:
    run = tmp_path / "shift"
    tiny = ["--set", "epochs=1", "--set", "train_length=64", "--set", "scene_size=128"]
    code, out = invoke("match", "train", "shift", "--out", str(run), *tiny)
    assert code == 0, out
    saved = json.loads((run / "results.json").read_text())
    assert set(saved) == {"shift_classifier", "ncc"} and "ncc" in out
    code, out = invoke("match", "eval", "--weights", str(run / "shift_classifier.safetensors"),
                       "--out", str(tmp_path / "ev"), "--scene-size", "128")  # fmt: skip
    assert code == 0, out
    ev = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert 0 <= ev["shift_classifier"]["within_1px"] <= 1 and "mean_px" in ev["ncc"]
    assert (tmp_path / "ev" / "score_maps.png").stat().st_size > 10_000

    pairs = tmp_path / "pairs"
    tiny = ["--set", "models=[binary_matcher]", "--set", "positives=64", "--set", "epochs=1"]
    code, out = invoke("match", "train", "pairs", "--out", str(pairs), *tiny)
    assert code == 0, out
    weights = pairs / "binary_matcher" / "model.safetensors"
    code, out = invoke("match", "eval", "--weights", str(weights), "--out", str(tmp_path / "e2"))
    assert code == 0, out
    ev = json.loads((tmp_path / "e2" / "results.json").read_text())
    assert 0 <= ev["pseudo_siamese_matcher"]["auc"] <= 1
    assert (tmp_path / "e2" / "roc.png").is_file()


def test_bad_input_exits_with_a_one_line_error(tmp_path: Path) -> None:
    from saropt.models import create_model, save_model

    code, out = invoke("match", "train", "real-shift", "--out", str(tmp_path))
    assert code == EXIT_BAD_INPUT and "--data" in out
    code, out = invoke("match", "train", "shift", "--out", str(tmp_path), "--set", "epochz=1")
    assert code == EXIT_BAD_INPUT and "epochz" in out
    kw = {"in_channels": 3, "width": 4}
    disc = save_model(create_model("patchgan_discriminator", **kw), tmp_path / "d",
                      "patchgan_discriminator", kw)  # fmt: skip
    code, out = invoke("match", "eval", "--weights", str(disc), "--out", str(tmp_path / "e"))
    assert code == EXIT_BAD_INPUT and "not a matching model" in out
    files = ["--sar", str(disc), "--optical", str(disc), "--weights", str(disc)]
    code, out = invoke("match", "tiepoints", *files, "--out", str(tmp_path / "t"),
                       "--model", "spline")  # fmt: skip
    assert code == EXIT_BAD_INPUT and "translation or affine" in out


def test_eval_of_a_translation_generator_counts_keypoint_matches(tmp_path: Path) -> None:
    import torch

    from saropt.models import TranslationGenerator, save_model

    torch.manual_seed(0)
    kw = {"in_channels": 13, "out_channels": 2, "width": 4, "depth": 3}
    weights = save_model(TranslationGenerator(**kw), tmp_path / "g", "translation_generator",
                         kw, direction="opt2sar")  # fmt: skip
    code, out = invoke("match", "eval", "--weights", str(weights), "--out", str(tmp_path / "e"))
    assert code == 0, out
    ev = json.loads((tmp_path / "e" / "results.json").read_text())
    assert set(ev) == {"sift/raw", "sift/translated", "brisk/raw", "brisk/translated"}
    for r in ev.values():
        assert 0 <= r["correct"] <= r["matches"] <= r["keypoints"]
    # the raw pair does not depend on the generator: SIFT finds the generated scene's offsets
    assert ev["sift/raw"]["offsets_found"] == 1.0
    assert (tmp_path / "e" / "keypoints.png").is_file()
