"""The tiny world the reliability matrix runs in: a generated 128 x 128 scene as GeoTIFFs,
untrained weights of every model a command loads (their values do not matter to input
checks; their headers and shapes do), and the bad inputs made from them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.write import write_raster
from saropt.models import create_model, save_model

#: Bands of the tiny urban model.
URBAN_BANDS = ["B02", "B03", "B04", "B08"]

#: Registry name, kwargs and extra header facts of the weights each command loads.
MODELS: dict[str, tuple[str, dict[str, object], dict[str, object]]] = {
    "decloud": ("sar_opt_cgan_generator",
                {"optical_channels": 13, "sar_channels": 2, "width": 2, "depth": 3},
                {"bands": list(S2_BANDS)}),
    "translate": ("translation_generator",
                  {"in_channels": 13, "out_channels": 2, "width": 2, "depth": 3},
                  {"direction": "opt2sar", "bands": list(S2_BANDS)}),
    "classify": ("cross_modal_classifier",
                 {"classes": 3, "backbone": "resnet18", "width": 4, "latent": 8},
                 {"modalities": ["s1", "s2"], "patch_size": 16,
                  "class_names": ["a", "b", "c"]}),
    "urban": ("dual_stream_unet", {"sar_channels": 2, "optical_channels": 4, "width": 2},
              {"optical_bands": URBAN_BANDS}),
    "tiepoints": ("shift_classifier",
                  {"optical_channels": 13, "sar_channels": 2, "width": 4, "layers": 2},
                  {"template": 32, "search": 48, "bands": list(S2_BANDS)}),
}  # fmt: skip


def build_world(root: Path) -> dict[str, Path]:
    """Write the good inputs and weights into ``root``; returns name -> path."""
    from saropt.synth import generate_scene

    root.mkdir(parents=True, exist_ok=True)
    s = generate_scene(height=128, width=128, seed=3, dates=1)
    paths = {
        "s1": write_raster(root / "s1.tif", Raster(s.sar[0], s.grid, None, S1_BANDS)),
        "s2": write_raster(root / "s2.tif", Raster(s.optical, s.grid, 0, S2_BANDS)),
        "s2_4": write_raster(
            root / "s2_4.tif", Raster(s.optical[[1, 2, 3, 7]], s.grid, 0, tuple(URBAN_BANDS))
        ),
        "mask": write_raster(
            root / "mask.tif", Raster((s.optical[:1] > 1500).astype(np.uint8), s.grid)
        ),
        "dem": write_raster(root / "dem.tif", Raster(s.dem[None], s.grid, None, ("dem",))),
    }
    scenes = root / "scenes.csv"
    scenes.write_text("id,optical,sar\nsmall,s2.tif,s1.tif\n")
    paths["scenes"] = scenes
    torch.manual_seed(0)
    for command, (name, kwargs, extra) in MODELS.items():
        model = create_model(name, **kwargs)
        paths[f"w_{command}"] = save_model(model, root / f"w_{command}", name, kwargs, **extra)
    return paths


# ---- bad inputs: each takes a good raster and a folder, returns the bad file -----------


def missing(good: Path, d: Path) -> Path:
    return d / "no_such_file.tif"


def directory(good: Path, d: Path) -> Path:
    (d / "a_folder.tif").mkdir()
    return d / "a_folder.tif"


def empty(good: Path, d: Path) -> Path:
    (d / "empty.tif").write_bytes(b"")
    return d / "empty.tif"


def text(good: Path, d: Path) -> Path:
    (d / "text.tif").write_text("this is not a raster\n")
    return d / "text.tif"


def truncated(good: Path, d: Path) -> Path:
    data = good.read_bytes()
    (d / "truncated.tif").write_bytes(data[: len(data) // 2])
    return d / "truncated.tif"


def _variant(good: Path, d: Path, name: str, change: Callable[[Raster], Raster]) -> Path:
    return write_raster(d / name, change(read_raster(good)))


def extra_band(good: Path, d: Path) -> Path:
    def more(r: Raster) -> Raster:
        return Raster(np.concatenate([r.data, r.data[:1]]), r.grid, r.nodata)

    return _variant(good, d, "extra_band.tif", more)


def _float(r: Raster, nodata: float | None) -> Raster:
    return Raster(r.data.astype(np.float32), r.grid, nodata, r.descriptions)


def all_nodata(good: Path, d: Path) -> Path:
    def gone(r: Raster) -> Raster:
        f = _float(r, float("nan"))
        return f.with_data(np.full_like(f.data, np.nan))

    return _variant(good, d, "all_nodata.tif", gone)


def _patch(good: Path, d: Path, name: str, value: float, nodata: float | None) -> Path:
    """A float copy with a 10 x 10 patch of ``value``, declaring ``nodata``."""

    def patched(r: Raster) -> Raster:
        f = _float(r, nodata)
        data = f.data.copy()
        data[:, 40:50, 40:50] = value
        return f.with_data(data)

    return _variant(good, d, name, patched)


def nan_patch(good: Path, d: Path) -> Path:
    """NaN that the file does not declare as nodata."""
    return _patch(good, d, "nan_patch.tif", np.nan, None)


def inf_patch(good: Path, d: Path) -> Path:
    """Infinity, in a file whose nodata is NaN."""
    return _patch(good, d, "inf_patch.tif", np.inf, float("nan"))


def other_crs(good: Path, d: Path) -> Path:
    def moved(r: Raster) -> Raster:
        g = r.grid
        return replace(r, grid=Grid("EPSG:32632", g.transform, g.width, g.height))

    return _variant(good, d, "other_crs.tif", moved)


def other_grid(good: Path, d: Path) -> Path:
    def cropped(r: Raster) -> Raster:
        g = r.grid
        return Raster(r.data[:, :96, :96], Grid(g.crs, g.transform, 96, 96), r.nodata)

    return _variant(good, d, "other_grid.tif", cropped)


def eight_bit(good: Path, d: Path) -> Path:
    def display(r: Raster) -> Raster:
        return Raster((r.data // 40).clip(1, 255).astype(np.uint8), r.grid, 0)

    return _variant(good, d, "eight_bit.tif", display)


def linear_sar(good: Path, d: Path) -> Path:
    def power(r: Raster) -> Raster:
        return r.with_data((10.0 ** (r.data / 10.0)).astype(np.float32))

    return _variant(good, d, "linear.tif", power)


# ---- hostile weights: each takes the good weights and a folder -------------------------


def _rewrite(good: Path, d: Path, name: str, header: str, tensors: dict | None = None) -> Path:
    from safetensors.torch import load_file

    path = d / f"{name}.safetensors"
    save_file(tensors or load_file(str(good)), str(path), metadata={"saropt_config": header})
    return path


def _header(good: Path) -> dict[str, object]:
    return json.loads((good.with_suffix(".json")).read_text())


def not_safetensors(good: Path, d: Path) -> Path:
    (d / "w.safetensors").write_text('{"model": "x"}')
    return d / "w.safetensors"


def bad_json(good: Path, d: Path) -> Path:
    return _rewrite(good, d, "bad_json", '{"model": "x", kwargs: }')


def header_list(good: Path, d: Path) -> Path:
    return _rewrite(good, d, "header_list", "[1, 2, 3]")


def extra_kwarg(good: Path, d: Path) -> Path:
    h = _header(good)
    h["kwargs"] = {**h["kwargs"], "colour": "red"}  # type: ignore[dict-item]
    return _rewrite(good, d, "extra_kwarg", json.dumps(h))


def wrong_type(good: Path, d: Path) -> Path:
    h = _header(good)
    h["kwargs"] = {**h["kwargs"], "width": "wide"}  # type: ignore[dict-item]
    return _rewrite(good, d, "wrong_type", json.dumps(h))


def huge_width(good: Path, d: Path) -> Path:
    h = _header(good)
    h["kwargs"] = {**h["kwargs"], "width": 4096}  # type: ignore[dict-item]
    return _rewrite(good, d, "huge_width", json.dumps(h))


def unknown_model(good: Path, d: Path) -> Path:
    h = _header(good)
    h["model"] = "not_a_model"
    return _rewrite(good, d, "unknown_model", json.dumps(h))


def other_tensors(good: Path, d: Path) -> Path:
    tensors = {"weight": torch.zeros(3, 3)}
    return _rewrite(good, d, "other_tensors", json.dumps(_header(good)), tensors)


def copy_of(good: Path, d: Path) -> Path:
    return Path(shutil.copy(good, d / good.name))
