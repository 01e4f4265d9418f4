"""saropt.models.weights: files as a user expects them, and headers checked before use."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from saropt.errors import WeightsError
from saropt.models import check_weights, create_model, load_model, save_model


def test_weights_are_written_like_any_file_and_atomically(tmp_path: Path) -> None:
    model = create_model("urban_unet", width=2)
    path = save_model(model, tmp_path / "m", "urban_unet", {"width": 2}, note="x")
    (tmp_path / "plain.txt").write_text("x")
    mode = os.stat(tmp_path / "plain.txt").st_mode & 0o777
    assert os.stat(path).st_mode & 0o777 == mode  # not 0600
    assert os.stat(path.with_suffix(".json")).st_mode & 0o777 == mode
    assert json.loads(path.with_suffix(".json").read_text())["note"] == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors", "plain.txt"]
    loaded, _ = load_model(path)
    for a, b in zip(loaded.state_dict().values(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_a_header_that_lies_about_the_tensors_is_refused_without_reading_them(
    tmp_path: Path,
) -> None:
    from safetensors.torch import save_file

    model = create_model("urban_unet", width=2)
    good = save_model(model, tmp_path / "m", "urban_unet", {"width": 2})
    config, meta = check_weights(good)
    assert config["kwargs"] == {"width": 2}
    assert all(t.is_meta for t in meta.parameters())  # nothing allocated
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    lie = json.dumps({"model": "urban_unet", "kwargs": {"width": 4096}})
    save_file(tensors, str(tmp_path / "lie.safetensors"), metadata={"saropt_config": lie})
    with pytest.raises(WeightsError, match="does not hold the UrbanUNet"):
        check_weights(tmp_path / "lie.safetensors")
