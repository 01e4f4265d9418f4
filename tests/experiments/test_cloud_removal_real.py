"""Real data: BigEarthNet-MM pairs clouded with real eo-learn cloud-probability maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saropt.experiments.cloud_removal import train_on_bigearthnet


def test_tiny_model_on_bigearthnet_beats_the_cloudy_input(data_dir: Path, tmp_path: Path) -> None:
    clp = np.load(data_dir / "eolearn_s2_slovenia" / "CLP.npy")[..., 0]
    m = train_on_bigearthnet(data_dir / "bigearthnet_s1s2", clp, tmp_path, epochs=10)
    # held-out pair, cloud maps never seen in training
    assert m["val/rmse_cloudy"] < 0.5 * m["val_input/rmse_cloudy"]
    assert m["val/sam_cloudy"] < 0.75 * m["val_input/sam_cloudy"]
