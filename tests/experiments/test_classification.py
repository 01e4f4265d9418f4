"""Cross-modal classification runs: learning, outputs, the study and its resumption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import app
from saropt.errors import ConfigError
from saropt.experiments.classification import ClassificationConfig, run_study
from saropt.experiments.config import load_config
from saropt.models import CrossModalClassifier, load_model
from tests.conftest import TINY_CLASSIFICATION


def test_setting_c_learns_both_modalities(classifier_run: tuple[Path, dict[str, Any]]) -> None:
    out, r = classifier_run
    # better than predicting the held-out pairs' own mean label for every sample
    for m in ("s1", "s2"):
        assert r[m]["kl"] < 0.8 * r["prior"]["kl"], (m, r[m]["kl"], r["prior"]["kl"])
        assert r[m]["macro_f1"] > r["prior"]["macro_f1"] + 0.05, (m, r[m], r["prior"])
    assert 0.0 < r["homogeneity"] <= 1.0
    assert set(r["retrieval_s1_to_s2"]) == {"recall@1", "recall@5", "recall@10"}
    model, config = load_model(out / "classifier.safetensors")
    assert isinstance(model, CrossModalClassifier)
    assert config["class_names"] == r["classes"] and config["modalities"] == ["s1", "s2"]
    pred = np.load(out / "predictions.npz")
    assert pred["p_s1"].shape == pred["p_s2"].shape == (128, 5)
    assert (out / "config.yaml").exists() and (out / "results.json").exists()


def test_study_runs_every_setting_and_resumes(tmp_path: Path) -> None:
    cfg = load_config(ClassificationConfig, overrides=[
        *TINY_CLASSIFICATION, "trainer.max_epochs=1", "data.train_length=64",
        "data.val_length=32",
    ])  # fmt: skip
    study = run_study(cfg, tmp_path, settings=("baseline", "CTM"), seeds=(0,))
    assert set(study["table"]) == {"baseline", "CTM"}
    row = study["table"]["CTM"]["S2 weighted F1"]
    assert row[2] == 1 and 0.0 <= row[0] <= 1.0
    base = tmp_path / "baseline" / "seed0"
    for m in ("s1", "s2"):
        _, config = load_model(base / f"classifier_{m}.safetensors")
        assert config["modalities"] == [m]
    stamp = (base / "results.json").stat().st_mtime_ns
    again = run_study(cfg, tmp_path, settings=("baseline", "CTM"), seeds=(0,))
    assert (base / "results.json").stat().st_mtime_ns == stamp  # not trained again
    assert again["table"] == study["table"]
    sets = [a for o in [*TINY_CLASSIFICATION, "trainer.max_epochs=1", "data.train_length=64",
                        "data.val_length=32"] for a in ("--set", o)]  # fmt: skip
    args = ["train", "classification-study", "--out", str(tmp_path), *sets,
            "--settings", "baseline,CTM", "--seeds", "0"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "mean ± std over seeds 0" in res.output and "CTM" in res.output
    assert (base / "results.json").stat().st_mtime_ns == stamp  # the CLI resumed too


def test_bad_thresholds_stop_before_anything_is_written(tmp_path: Path) -> None:
    from saropt.experiments.classification import train_classification

    cfg = load_config(ClassificationConfig, overrides=["model.similar=0.2",
                                                       "model.different=0.5"])  # fmt: skip
    with pytest.raises(ConfigError, match=r"model\.different"):
        train_classification(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_bigearthnet_pairs_through_the_training_loop(data_dir: Path, tmp_path: Path) -> None:
    """The six real pairs with their CORINE labels in 19 classes, trained and evaluated end
    to end (a smoke test of the real layout, not a claim: five pairs train, one validates)."""
    from saropt.experiments.classification import train_classification

    cfg = load_config(ClassificationConfig, overrides=[
        "data.source=bigearthnet", f"data.root={data_dir / 'bigearthnet_s1s2'}",
        "data.batch_size=5", "trainer.max_epochs=2", "model.width=4", "model.latent=16",
    ])  # fmt: skip
    r = train_classification(cfg, tmp_path)
    assert len(r["classes"]) == 19 and r["classes"][4] == "Pastures"
    _, config = load_model(tmp_path / "classifier.safetensors")
    assert config["kwargs"]["s2_channels"] == 12
    assert np.load(tmp_path / "predictions.npz")["p_s2"].shape == (1, 19)


def test_cli_train_refuses_a_label_raster_on_another_grid(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from saropt.cli.main import EXIT_BAD_INPUT, app
    from saropt.io.raster import Raster
    from saropt.io.write import write_raster
    from tests.conftest import utm_grid

    rng = np.random.default_rng(0)
    g = {"height": 64, "width": 64}
    s1 = write_raster(
        tmp_path / "s1.tif",
        Raster(rng.normal(-12, 3, (2, 64, 64)).astype(np.float32), utm_grid(**g)),
    )
    s2 = write_raster(
        tmp_path / "s2.tif",
        Raster(rng.integers(1, 4000, (13, 64, 64)).astype(np.uint16), utm_grid(**g)),
    )
    lc = write_raster(tmp_path / "lc.tif", Raster(np.ones((1, 32, 32), np.uint8),
                                                  utm_grid(32, 32, res=20.0)))  # fmt: skip
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "train", "classification", "--out", str(out), "--set", "data.source=rasters",
        "--set", f"data.s1={s1}", "--set", f"data.s2={s2}", "--set", f"data.labels={lc}",
    ])  # fmt: skip
    assert res.exit_code == EXIT_BAD_INPUT, res.output
    assert "GridMismatchError" in res.output and "Traceback" not in res.output
    assert not out.exists()
    bad = CliRunner().invoke(app, ["train", "classification", "--out", str(out), "--set",
                                   "model.setting=CTX"])  # fmt: skip
    assert bad.exit_code == EXIT_BAD_INPUT and "model.setting" in bad.output
    assert not out.exists()
