"""Urban mapping runs: learning beats the trivial map, the cut-off procedure and the
utilisation rates, the d_util curve, the study's resume, and every data source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from saropt.cli.main import app
from saropt.experiments.config import load_config
from saropt.experiments.urban import UrbanConfig, build_data, run_study, train_urban
from saropt.metrics.segmentation import utilisation_rates
from saropt.models import DualStreamUNet, load_model
from tests.conftest import TINY_URBAN
from tests.datasets.test_dream_and_samplers import database  # noqa: F401  (fixture)
from tests.datasets.test_urban import write_gum


def test_trained_network_beats_the_all_urban_map(urban_run: tuple[Path, Any]) -> None:
    out, r = urban_run
    fused = r["fused"]
    share = (fused["tp"] + fused["fn"]) / (fused["tp"] + fused["fp"] + fused["fn"] + fused["tn"])
    all_urban_f1 = 2 * share / (1 + share)  # calling every pixel built-up
    assert fused["f1"] > max(0.25, 3 * all_urban_f1)
    assert fused["precision"] > 4 * share
    for head in ("sar", "opt"):
        assert r["heads"][head]["f1"] > 2 * all_urban_f1
    assert {p.name for p in out.iterdir()} >= {"config.yaml", "urban.safetensors", "results.json"}


def test_cutoff_scores_and_utilisation_follow_their_definitions(
    urban_run: tuple[Path, Any],
) -> None:
    out, r = urban_run
    expect = utilisation_rates(r["heads"]["sar"]["f1"], r["cutoff"]["sar"]["f1"],
                               r["heads"]["opt"]["f1"], r["cutoff"]["opt"]["f1"])  # fmt: skip
    assert r["utilisation"] == pytest.approx(expect)
    model, config = load_model(out / "urban.safetensors")
    assert isinstance(model, DualStreamUNet) and config["optical_bands"] == [
        "B02",
        "B03",
        "B04",
        "B08",
    ]
    for m in model.mmtms:  # the mean squeezes of the training set travel in the weights file
        assert float(m.mean_count) == 128 and m.mean_a.abs().sum() > 0 and m.mean_b.abs().sum() > 0
    history = r["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert all(h["d_util"] == pytest.approx(h["u_sar_given_opt"] - h["u_opt_given_sar"])
               for h in history)  # fmt: skip


def test_study_tables_seeds_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(UrbanConfig, overrides=[*TINY_URBAN, "trainer.max_epochs=1"])
    study = run_study(cfg, tmp_path, settings=("sar", "mmtm"), seeds=(0, 1))
    rows = study["table"]["rows"]
    assert rows["SAR-only U-Net"]["f1"][2] == 2 and rows["MMTM: fusion"]["f1"][2] == 2
    assert study["table"]["utilisation"]["d_util"][2] == 2
    assert json.loads((tmp_path / "study.json").read_text())["table"] == study["table"]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr("saropt.experiments.urban.train_urban", refuse)
    assert (
        run_study(cfg, tmp_path, settings=("sar", "mmtm"), seeds=(0, 1))["table"] == study["table"]
    )
    sets = [a for o in [*TINY_URBAN, "trainer.max_epochs=1"] for a in ("--set", o)]
    res = CliRunner().invoke(app, ["train", "urban-study", "--out", str(tmp_path), *sets,
                                   "--settings", "sar,mmtm", "--seeds", "0,1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "mean ± std over seeds 0,1" in res.output and "d_util" in res.output
    for name in ("utilisation.png", "d_util.png"):  # the figures, from the resumed runs
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_runs_on_a_database_and_on_the_gum_layout(database: Path, tmp_path: Path) -> None:  # noqa: F811
    fast = [*TINY_URBAN, "trainer.max_epochs=1", "history_patches=0"]
    on_db = [*fast, "data.source=dream", f"data.root={database}"]
    cfg = load_config(UrbanConfig, overrides=on_db)
    sets = [a for o in on_db for a in ("--set", o)]  # the user's command, on the database
    res = CliRunner().invoke(app, ["train", "urban", "--out", str(tmp_path / "dream"), *sets])
    assert res.exit_code == 0, res.output
    r = json.loads((tmp_path / "dream" / "results.json").read_text())
    data = build_data(cfg)
    data.setup()
    assert data.train is not None and data.val is not None
    assert sum(float(data.train[i]["label"].sum()) for i in range(len(data.train))) > 0
    counts = sum(r["fused"][k] for k in ("tp", "fp", "fn", "tn"))
    assert counts == len(data.val) * 32 * 32 and "utilisation" in r
    gum = write_gum(tmp_path / "gum", {"a": 3, "b": 2})
    on_gum = [*fast, "data.source=gum", f"data.root={gum}", "data.val_sites=[b]",
              "model.setting=input"]  # fmt: skip
    cfg = load_config(UrbanConfig, overrides=on_gum)
    r = train_urban(cfg, tmp_path / "gum_run")
    assert r["setting"] == "input" and "utilisation" not in r
    assert r["fused"]["tp"] + r["fused"]["fp"] + r["fused"]["fn"] + r["fused"]["tn"] == 2 * 32 * 32
