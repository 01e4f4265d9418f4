"""decloud_scene and `saropt decloud`: georeference, dtype, nodata, mask-only, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.errors import BandCountError, ConfigError
from saropt.inference import Runtime, TiledOptions, decloud_scene
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.models import create_model, save_model


@pytest.fixture
def scene(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    grid = Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, 10.0, 150, 100)
    opt = rng.integers(200, 4000, (4, 100, 150)).astype(np.uint16)
    opt[:, :5, :7] = 0  # nodata corner
    sar = rng.uniform(-25, 0, (2, 100, 150)).astype(np.float32)
    mask = np.zeros((1, 100, 150), np.uint8)
    mask[0, 40:70, 60:120] = 1
    paths = {
        "optical": write_raster(
            tmp_path / "opt.tif", Raster(opt, grid, 0, ("B02", "B03", "B04", "B08"))
        ),
        "sar": write_raster(tmp_path / "sar.tif", Raster(sar, grid, None, ("VV", "VH"))),
        "mask": write_raster(tmp_path / "mask.tif", Raster(mask, grid)),
    }
    for name, sar_ch in (("sar_model", 2), ("opt_model", 0)):
        kw = {"optical_channels": 4, "width": 4, "depth": 3}
        model_name = "opt_cgan_generator"
        if sar_ch:
            kw["sar_channels"] = sar_ch
            model_name = "sar_opt_cgan_generator"
        g = create_model(model_name, **kw)
        paths[name] = save_model(
            g, tmp_path / name, model_name, kw, bands=["B02", "B03", "B04", "B08"]
        )
    return paths


class TestDecloudScene:
    def test_output_keeps_georeference_dtype_and_nodata(
        self, scene: dict[str, Path], tmp_path: Path
    ) -> None:
        out = decloud_scene(scene["optical"], scene["sar"], scene["sar_model"], tmp_path / "o.tif",
                            options=TiledOptions(50, 8, 2))  # fmt: skip
        src, dst = read_raster(scene["optical"]), read_raster(out)
        assert dst.grid == src.grid and dst.data.dtype == np.uint16
        assert dst.nodata == 0 and dst.descriptions == src.descriptions
        np.testing.assert_array_equal(dst.data[:, :5, :7], 0)
        assert not np.array_equal(dst.data, src.data)  # the model did change the image

    def test_mask_replaces_only_cloudy_pixels(self, scene: dict[str, Path], tmp_path: Path) -> None:
        out = decloud_scene(scene["optical"], None, scene["opt_model"], tmp_path / "o.tif",
                            mask=scene["mask"], options=TiledOptions(32, 8, 4))  # fmt: skip
        src, dst = read_raster(scene["optical"]).data, read_raster(out).data
        cloud = read_raster(scene["mask"]).data[0] == 1
        np.testing.assert_array_equal(dst[:, ~cloud], src[:, ~cloud])
        assert (dst[:, cloud] != src[:, cloud]).mean() > 0.5

    def test_errors(self, scene: dict[str, Path], tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="fuses SAR"):
            decloud_scene(scene["optical"], None, scene["sar_model"], tmp_path / "o.tif")
        five = read_raster(scene["optical"])
        wrong = write_raster(
            tmp_path / "five.tif", five.with_data(np.concatenate([five.data, five.data[:1]]))
        )
        with pytest.raises(BandCountError, match="takes 4"):
            decloud_scene(wrong, scene["sar"], scene["sar_model"], tmp_path / "o.tif")
        assert not (tmp_path / "o.tif").exists()

    def test_decloud_scene_fast_path_matches_reference(
        self,
        scene: dict[str, Path],
        tmp_path: Path,
    ) -> None:
        outs = []
        fast = (Runtime(channels_last=True), Runtime(backend="onnx"))
        for name, rt in (("ref", Runtime()), ("fast", fast[0]), ("onnx", fast[1])):
            out = decloud_scene(scene["optical"], scene["sar"], scene["sar_model"],
                                tmp_path / f"{name}.tif", options=TiledOptions(64, 8, 3),
                                runtime=rt)  # fmt: skip
            outs.append(read_raster(out).data.astype(np.int32))
        for out in outs[1:]:
            assert np.abs(outs[0] - out).max() <= 1  # digital numbers, rounded


class TestDecloudCommand:
    def test_cli(self, scene: dict[str, Path], tmp_path: Path) -> None:
        runner = CliRunner()
        base = ["decloud", "--optical", str(scene["optical"]), "--out", str(tmp_path / "o.tif")]
        res = runner.invoke(
            app, [*base, "--sar", str(scene["sar"]), "--weights", str(scene["sar_model"])]
        )
        assert res.exit_code == 0, res.output
        assert read_raster(tmp_path / "o.tif").data.shape == (4, 100, 150)
        res = runner.invoke(app, [*base, "--weights", str(tmp_path / "none.safetensors")])
        assert res.exit_code == EXIT_BAD_INPUT and "does not exist" in res.output
        res = runner.invoke(
            app, [*base, "--weights", str(scene["opt_model"]), "--precision", "fp8"]
        )
        assert res.exit_code == EXIT_BAD_INPUT and "precision must be one of" in res.output
        for victim in ("optical", "sar"):  # --out naming an input is refused, input kept
            before = scene[victim].read_bytes()
            args = ["decloud", "--optical", str(scene["optical"]), "--sar", str(scene["sar"]),
                    "--weights", str(scene["sar_model"]), "--out", str(scene[victim])]  # fmt: skip
            res = runner.invoke(app, args)
            assert res.exit_code == EXIT_BAD_INPUT and "is also an input" in res.output
            assert scene[victim].read_bytes() == before
        res = runner.invoke(app, [*base, "--weights", str(scene["opt_model"]), "--backend", "trt"])
        assert res.exit_code == EXIT_BAD_INPUT and "backend must be one of" in res.output
        res = runner.invoke(
            app, [*base, "--weights", str(scene["opt_model"]), "--backend", "onnx"]
        )  # the optical-only twin: its one input exported alone
        assert res.exit_code == 0, res.output
        assert read_raster(tmp_path / "o.tif").data.shape == (4, 100, 150)
