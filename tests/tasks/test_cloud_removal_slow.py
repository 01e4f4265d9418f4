"""The paper's claim on generated data (slow: trains two models, about 3 CPU minutes).

Run with `make test-slow` or `pytest -m slow`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from saropt.tasks.cloud_removal import CloudRemovalConfig, compare_twins

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "cloud_removal_tiny.yaml"


@pytest.mark.slow
def test_sar_opt_cgan_beats_cloudy_input_and_opt_twin_on_cloudy_pixels(tmp_path: Path) -> None:
    warnings.filterwarnings("ignore")
    cmp = compare_twins(CloudRemovalConfig.from_yaml(CONFIG), tmp_path)
    sar_opt, opt, cloudy = cmp.metrics["sar_opt"], cmp.metrics["opt"], cmp.metrics["cloudy_input"]
    # Grohnfeldt et al. 2018: fusing SAR lowers the error under clouds
    assert sar_opt["rmse_cloudy"] < 0.5 * cloudy["rmse_cloudy"]
    assert sar_opt["sam_cloudy"] < 0.5 * cloudy["sam_cloudy"]
    assert sar_opt["rmse_cloudy"] < 0.95 * opt["rmse_cloudy"]
    assert sar_opt["sam_cloudy"] < 0.95 * opt["sam_cloudy"]
