"""The database beyond Sentinel-1 VV/VH (a Pauli SAR with an 8-bit aerial image at 5 m), and
``db build --register``: each tile's optical image registered onto its SAR mean."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from saropt.database.build import BuildConfig, DatabaseInputs, build_database
from saropt.database.register import flow_statistics
from saropt.datasets.dream import DreamDataset
from saropt.datasets.registration import RegistrationDataModule
from saropt.errors import BandCountError, ConfigError
from saropt.inference.register import apply_flow
from saropt.inference.register_tiles import TileRegistration
from saropt.io.raster import Raster, read_raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS, sar_to_power
from saropt.io.write import write_raster
from saropt.models import create_model, save_model
from saropt.synth import generate_scene
from saropt.synth.pauli import PAULI_BANDS, write_pauli_site


@pytest.fixture(scope="module")
def pauli_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A 160 x 144 px airborne-style site at 5 m: two Pauli SAR dates, RGBN uint8, DEM."""
    d = tmp_path_factory.mktemp("pauli")
    sc = generate_scene(height=160, width=144, seed=11, dates=2, resolution=5.0)
    return write_pauli_site(sc, d)


@pytest.fixture(scope="module")
def s1s2(tmp_path_factory: pytest.TempPathFactory) -> DatabaseInputs:
    d = tmp_path_factory.mktemp("s1s2reg")
    sc = generate_scene(height=128, width=128, seed=2, dates=2)
    s1 = tuple(
        write_raster(d / f"s1_{k}.tif", Raster(sc.sar[k], sc.grid, None, S1_BANDS))
        for k in range(2)
    )
    return DatabaseInputs(
        s1=s1, s2=(write_raster(d / "s2.tif", Raster(sc.optical, sc.grid, 0, S2_BANDS)),)
    )


def test_sar_units_to_power_by_hand() -> None:
    x = np.array([-10.0, 0.0, 10.0])
    np.testing.assert_allclose(sar_to_power(x, "db"), [0.1, 1.0, 10.0])
    np.testing.assert_allclose(sar_to_power(np.array([2.0, 0.5]), "amplitude"), [4.0, 0.25])
    np.testing.assert_allclose(sar_to_power(np.array([2.0, 0.5]), "power"), [2.0, 0.5])
    with pytest.raises(ConfigError, match="unknown SAR units"):
        sar_to_power(x, "sigma")  # type: ignore[arg-type]


class TestPauliDatabase:
    def test_pauli_and_aerial_build_a_5m_database_in_db_of_power(
        self, pauli_site: dict[str, object], tmp_path: Path
    ) -> None:
        sar = pauli_site["sar"]
        assert isinstance(sar, list)
        inputs = DatabaseInputs(
            s1=tuple(sar),
            s2=(pauli_site["optical"],),  # type: ignore[arg-type]
            dem=(pauli_site["dem"],),
        )  # type: ignore[arg-type]
        records = build_database(inputs, tmp_path, BuildConfig(tile_size=64, sar_units="amplitude"))
        built = [r for r in records if r.status == "built"]
        assert len(built) >= 4
        rec = built[0]
        s1 = read_raster(tmp_path / rec.assets["s1"])
        assert s1.grid.res == (5.0, 5.0)
        assert s1.descriptions == tuple(f"{b}_mean_dB" for b in PAULI_BANDS)
        # by hand: the mean of the squared amplitudes of both dates, in dB
        amps = [read_raster(p).data[:, rec.row : rec.row + 64, rec.col : rec.col + 64] for p in sar]
        expected = 10 * np.log10((amps[0].astype(np.float64) ** 2 + amps[1] ** 2.0) / 2)
        np.testing.assert_allclose(s1.data, expected, atol=1e-4)
        aerial = read_raster(pauli_site["optical"]).data  # type: ignore[arg-type]
        s2 = read_raster(tmp_path / rec.assets["s2"])
        assert s2.data.dtype == np.uint8 and s2.data.shape[0] == 4
        np.testing.assert_array_equal(
            s2.data, aerial[:, rec.row : rec.row + 64, rec.col : rec.col + 64]
        )
        summary = json.loads((tmp_path / "database.json").read_text())
        assert summary["sar_bands"] == list(PAULI_BANDS) and summary["optical_scale"] == 255.0
        # the dataset reads 8-bit optical as reflectance-like [0, 1], SAR by its dB range
        ds = DreamDataset(tmp_path, split=None, patch_size=32, seed=0)
        sample = ds[0]
        assert sample["sar"].shape[0] == 3 and sample["optical"].shape[0] == 4
        assert 0.05 < float(sample["optical"].mean()) < 0.95
        # registration training takes the database as it is: three SAR bands, four optical
        data = RegistrationDataModule("dream", tmp_path, patch_size=32, max_shift=4.0)
        assert data.fixed_bands == PAULI_BANDS and data.channels == (3, 4)
        data.setup("fit")
        assert data.train is not None
        pair = data.train[0]
        assert pair["sar"].shape == (3, 32, 32) and pair["optical"].shape == (4, 32, 32)
        assert float(pair["target"].abs().max()) > 0  # a deformation with its flow

    def test_sar_dates_with_other_bands_and_optical_given_as_sar_are_refused(
        self, pauli_site: dict[str, object], s1s2: DatabaseInputs, tmp_path: Path
    ) -> None:
        sar = pauli_site["sar"]
        assert isinstance(sar, list)
        mixed = DatabaseInputs(s1=(sar[0], s1s2.s1[0]), s2=s1s2.s2)
        with pytest.raises(ConfigError, match="differ in band count"):
            build_database(mixed, tmp_path / "a", BuildConfig(tile_size=64))
        swapped = DatabaseInputs(s1=s1s2.s2, s2=s1s2.s2)
        with pytest.raises(ConfigError, match="holds Sentinel-2 bands"):
            build_database(swapped, tmp_path / "b", BuildConfig(tile_size=64))
        assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_flow_statistics_by_hand() -> None:
    flow = np.zeros((2, 2, 2), np.float32)
    flow[0] = [[3.0, 0.0], [0.0, 100.0]]
    flow[1] = [[4.0, 1.0], [0.0, 100.0]]
    valid = np.array([[True, True], [True, False]])
    s = flow_statistics(flow, valid)
    assert s["dx_mean"] == 1.0 and s["dy_mean"] == pytest.approx(5 / 3, abs=1e-4)
    assert s["magnitude_mean"] == 2.0  # lengths 5, 1, 0
    assert s["magnitude_p95"] == pytest.approx(4.6)  # 1 + 0.9 * (5 - 1)
    assert flow_statistics(flow, np.zeros((2, 2), bool))["dx_mean"] is None


class TestRegisterTiles:
    def test_registration_is_recorded_consistent_and_resumable(
        self, s1s2: DatabaseInputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cfg, spec = BuildConfig(tile_size=64), TileRegistration("phase")
        full = build_database(s1s2, tmp_path / "full", cfg, register=spec)
        assert len(full) == 4
        with (tmp_path / "full" / "index.csv").open() as f:
            rows = list(csv.DictReader(f))
        for rec, row in zip(full, rows, strict=True):
            folder = tmp_path / "full"
            flow = read_raster(folder / rec.assets["flow"])
            assert flow.data.shape == (2, 64, 64) and flow.descriptions == ("dx", "dy")
            sar = read_raster(folder / rec.assets["s1"]).data
            opt = read_raster(folder / rec.assets["s2"])
            stats = flow_statistics(flow.data, np.isfinite(sar).all(0) & opt.valid_mask())
            assert float(row["flow_magnitude_mean"]) == stats["magnitude_mean"]
            assert float(row["flow_dx_mean"]) == stats["dx_mean"]
            # the registered asset is the optical tile resampled by the recorded flow
            again = apply_flow(
                folder / rec.assets["s2"],
                folder / rec.assets["flow"],
                tmp_path / f"again_{rec.id}.tif",
            )
            np.testing.assert_array_equal(
                read_raster(again).data, read_raster(folder / rec.assets["s2_registered"]).data
            )

        # built without registration, then registered in a pass killed after two tiles
        part = tmp_path / "part"
        build_database(s1s2, part, cfg)
        real, calls = TileRegistration.run, {"n": 0}

        def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("killed")
            return real(*args, **kwargs)

        monkeypatch.setattr(TileRegistration, "run", failing)
        with pytest.raises(RuntimeError, match="killed"):
            build_database(s1s2, part, cfg, register=spec)
        monkeypatch.setattr(TileRegistration, "run", real)
        todo: list[int] = []
        resumed = build_database(
            s1s2, part, cfg, register=spec, register_progress=lambda d, t: todo.append(t)
        )
        assert todo[0] == 2  # the two registered tiles are not redone
        assert [r.sha256 for r in resumed] == [r.sha256 for r in full]
        assert [r.registration for r in resumed] == [r.registration for r in full]
        assert (part / "index.csv").read_bytes() == (tmp_path / "full" / "index.csv").read_bytes()
        # another method redoes every tile; the same one again does nothing
        for redone in (4, 0):
            build_database(s1s2, part, cfg, register=TileRegistration("zero"),
                           register_progress=lambda d, t: todo.append(t))  # fmt: skip
            assert todo[-1] == redone
        zero = json.loads(next((part / "tiles").glob("*/tile.json")).read_text())
        assert zero["registration"]["magnitude_p95"] == 0.0

    def test_a_network_of_other_bands_is_refused_before_any_tile(
        self, s1s2: DatabaseInputs, tmp_path: Path
    ) -> None:
        net = create_model("pwc_multimodal", fixed_channels=3, moving_channels=4, width=2)
        weights = save_model(
            net,
            tmp_path / "w",
            "pwc_multimodal",
            {"fixed_channels": 3, "moving_channels": 4, "width": 2},
            fixed_bands=list(PAULI_BANDS),
            optical_bands=["B02", "B03", "B04", "B08"],
        )
        with pytest.raises(BandCountError, match="SAR has 2 bands"):
            build_database(
                s1s2,
                tmp_path / "db",
                BuildConfig(tile_size=64),
                register=TileRegistration("pwc", weights),
            )
        assert not (tmp_path / "db" / "tiles").exists()
        with pytest.raises(ConfigError, match="unknown registration method"):
            build_database(s1s2, tmp_path / "db", BuildConfig(tile_size=64),
                           register=TileRegistration("optical-flow"))  # fmt: skip
        assert not (tmp_path / "db" / "tiles").exists()
        with pytest.raises(ConfigError, match="needs --register"):
            build_database(
                s1s2, tmp_path / "db", BuildConfig(tile_size=64), register=TileRegistration("pwc")
            )

    def test_a_matching_network_registers_every_tile(
        self, s1s2: DatabaseInputs, tmp_path: Path
    ) -> None:
        kw = {"fixed_channels": 2, "moving_channels": 4, "width": 2}
        weights = save_model(
            create_model("pwc_multimodal", **kw),
            tmp_path / "w",
            "pwc_multimodal",
            kw,
            fixed_bands=list(S1_BANDS),
            optical_bands=["B02", "B03", "B04", "B08"],
        )
        records = build_database(
            s1s2,
            tmp_path / "db",
            BuildConfig(tile_size=64),
            register=TileRegistration("pwc", weights),
        )
        for r in records:
            assert r.registration["key"]["weights_sha256"] is not None
            reg = read_raster(tmp_path / "db" / r.assets["s2_registered"])
            assert reg.data.shape == (13, 64, 64) and reg.data.dtype == np.uint16


def test_a_database_built_before_sar_units_existed_resumes(
    s1s2: DatabaseInputs, tmp_path: Path
) -> None:
    cfg = BuildConfig(tile_size=64)
    build_database(s1s2, tmp_path, cfg)
    plan = tmp_path / "database.json"
    old = json.loads(plan.read_text())
    del old["config"]["sar_units"]  # as saropt wrote it before SAR units were a setting
    plan.write_text(json.dumps(old))
    assert len(build_database(s1s2, tmp_path, cfg)) == 4
    with pytest.raises(ConfigError, match="other inputs or settings"):
        build_database(s1s2, tmp_path, BuildConfig(tile_size=64, sar_units="power"))
