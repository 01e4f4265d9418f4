"""`saropt match train|eval|tiepoints`: results, figures, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import yaml
from affine import Affine
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from tests.helpers import misplaced_pair

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_train_writes_results_and_the_resolved_config(tmp_path: Path) -> None:
    run = tmp_path / "shift"
    tiny = ["--set", "trainer.max_epochs=1", "--set", "data.train_length=64",
            "--set", "data.scene_size=128"]  # fmt: skip
    code, out = invoke("match", "train", "shift", "--out", str(run), *tiny)
    assert code == 0, out
    saved = json.loads((run / "results.json").read_text())
    assert set(saved) == {"shift_classifier", "ncc"} and "ncc" in out
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["trainer"]["max_epochs"] == 1 and resolved["data"]["scene_size"] == 128
    assert resolved["model"]["width"] == 16  # the rest: the tiny defaults


def test_eval_of_trained_shift_weights_beats_ncc_on_a_fresh_scene(
    trained: tuple[Path, dict[str, dict[str, float]]], tmp_path: Path
) -> None:
    run, _ = trained
    code, out = invoke("match", "eval", "--weights", str(run / "shift_classifier.safetensors"),
                       "--out", str(tmp_path / "ev"), "--scene-size", "256")  # fmt: skip
    assert code == 0, out
    ev = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert ev["shift_classifier"]["mean_px"] < ev["ncc"]["mean_px"]
    assert (tmp_path / "ev" / "score_maps.png").stat().st_size > 10_000


def test_binary_matcher_train_and_eval_agree(tmp_path: Path) -> None:
    run = tmp_path / "binary"
    tiny = ["--set", "data.positives=64", "--set", "data.val_positives=64",
            "--set", "trainer.max_epochs=1", "--set", "data.scene_size=192"]  # fmt: skip
    code, out = invoke("match", "train", "binary", "--out", str(run), *tiny)
    assert code == 0, out
    trained = json.loads((run / "results.json").read_text())["binary_matcher"]
    weights = run / "model.safetensors"
    code, out = invoke("match", "eval", "--weights", str(weights), "--out", str(tmp_path / "e"))
    assert code == 0, out
    ev = json.loads((tmp_path / "e" / "results.json").read_text())["pseudo_siamese_matcher"]
    assert set(ev) == set(trained)  # the same report, on another scene
    again = tmp_path / "e2"
    assert invoke("match", "eval", "--weights", str(weights), "--out", str(again))[0] == 0
    assert json.loads((again / "results.json").read_text())["pseudo_siamese_matcher"] == ev
    assert (tmp_path / "e" / "roc.png").is_file()


def test_bad_input_exits_with_a_one_line_error(tmp_path: Path) -> None:
    from saropt.models import create_model, save_model

    code, out = invoke("match", "train", "real-shift", "--out", str(tmp_path))
    assert code == EXIT_BAD_INPUT and "root" in out
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


class TestMatchCommand:
    def test_tiepoints_cli(
        self, trained: tuple[Path, dict[str, dict[str, float]]], tmp_path: Path
    ) -> None:
        from typer.testing import CliRunner

        from saropt.cli.main import EXIT_BAD_INPUT, app

        out, _ = trained
        sar, opt, _ = misplaced_pair(tmp_path, 256, 22, Affine.translation(30.0, -10.0))
        args = ["match", "tiepoints", "--sar", str(sar), "--optical", str(opt), "--out",
                str(tmp_path / "fix")]  # fmt: skip
        res = CliRunner().invoke(
            app, [*args, "--weights", str(out / "shift_classifier.safetensors")]
        )
        assert res.exit_code == 0, res.output
        assert "inliers" in res.output and "m (east, north)" in res.output
        assert (tmp_path / "fix" / "corrected.tif").exists()
        res = CliRunner().invoke(app, [*args, "--weights", str(tmp_path / "none.safetensors")])
        assert res.exit_code == EXIT_BAD_INPUT
