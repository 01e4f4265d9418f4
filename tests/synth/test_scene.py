"""Generated scenes: determinism, class physics, speckle statistics, geometry, vectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from saropt.errors import ConfigError
from saropt.io.raster import read_raster
from saropt.io.sentinel import db_to_linear
from saropt.io.vector import read_geojson
from saropt.synth import LandCover, Scene, SceneConfig, generate_scene, write_scene
from saropt.synth.sensors import project_to_slant_range, radar_geometry
from saropt.synth.types import NESZ_DB


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def scene() -> Scene:
    return generate_scene(height=256, width=256, seed=3, dates=8)


def _enl(x: np.ndarray) -> float:
    x = x.astype(np.float64).ravel()
    return float(x.mean() ** 2 / x.var())


class TestDeterminism:
    def test_same_seed_same_bytes_other_seed_differs(self, tmp_path: Path) -> None:
        for name, seed in (("a", 11), ("b", 11), ("c", 12)):
            write_scene(generate_scene(height=96, width=80, seed=seed, dates=2), tmp_path / name)
        a, b, c = (_hashes(tmp_path / n) for n in "abc")
        assert a == b
        assert len(a) == 12  # 2 dates x (speckled + clean) + 5 rasters + 2 vectors + manifest
        differing = [k for k in a if a[k] != c[k]]
        assert "s2.tif" in differing and "s1_20210601.tif" in differing

    def test_files_and_georeference(self, tmp_path: Path) -> None:
        sc = generate_scene(height=96, width=80, seed=1, dates=2)
        manifest = write_scene(sc, tmp_path)
        assert manifest == json.loads((tmp_path / "manifest.json").read_text())
        opt = read_raster(tmp_path / manifest["files"]["optical"])
        assert opt.data.shape == (13, 96, 80) and opt.data.dtype == np.uint16
        assert opt.descriptions[0] == "B01" and opt.descriptions[-1] == "B12"
        assert opt.grid.crs == "EPSG:32633" and opt.grid.res == (10.0, 10.0)
        s1 = read_raster(tmp_path / manifest["files"]["sar"][1])
        assert s1.data.shape == (2, 96, 80) and s1.descriptions == ("VV", "VH")
        np.testing.assert_array_equal(s1.data, sc.sar[1])
        lc = read_raster(tmp_path / "landcover.tif")
        assert set(np.unique(lc.data)) <= {int(c) for c in LandCover if c}


class TestPhysics:
    def test_all_classes_present(self, scene: Scene) -> None:
        present = set(np.unique(scene.landcover))
        assert present == {1, 2, 3, 4, 5}
        np.testing.assert_array_equal(scene.urban, scene.landcover == LandCover.URBAN)

    def test_water_darker_than_urban_in_sar(self, scene: Scene) -> None:
        for pol in (0, 1):
            img = scene.sar[0, pol]
            water = float(np.mean(img[scene.landcover == LandCover.WATER]))
            urban = float(np.mean(img[scene.landcover == LandCover.URBAN]))
            forest = float(np.mean(img[scene.landcover == LandCover.FOREST]))
            assert urban - water > 8.0, (pol, urban, water)
            assert water < forest < urban or pol == 1  # VH urban is not double-bounce bright
        assert np.mean(scene.sar[0, 0]) > np.mean(scene.sar[0, 1])  # VV above VH

    def test_ndvi_of_forest_exceeds_urban(self, scene: Scene) -> None:
        b = scene.optical.astype(np.float64)
        ndvi = (b[7] - b[3]) / (b[7] + b[3])
        forest = ndvi[scene.landcover == LandCover.FOREST].mean()
        urban = ndvi[scene.landcover == LandCover.URBAN].mean()
        water = ndvi[scene.landcover == LandCover.WATER].mean()
        assert forest > 0.6 and urban < 0.3 and water < 0
        assert forest - urban > 0.4

    def test_temporal_mean_raises_enl_n_fold(self, scene: Scene) -> None:
        n = scene.config.dates
        looks = scene.config.looks
        speckle = db_to_linear(scene.sar.astype(np.float64) - scene.sar_clean)  # (T, 2, H, W)
        single = _enl(speckle[0, 0])
        mean = _enl(speckle[:, 0].mean(axis=0))
        assert single == pytest.approx(looks, rel=0.1)
        assert mean / single == pytest.approx(n, rel=0.15)
        # as a user measures it: on a homogeneous area, here open water away from the shores
        # (hills beyond a lake share its slant-range bins and brighten it)
        water = scene.landcover == LandCover.WATER
        clean = scene.sar_clean[0, 0]
        calm = water & (np.abs(clean - np.median(clean[water])) < 1.0)
        assert calm.sum() > 1000
        lin = db_to_linear(scene.sar[:, 0].astype(np.float64))
        ratio = _enl(lin.mean(axis=0)[calm]) / _enl(lin[0][calm])
        assert ratio > 0.7 * n


def _profile_power(
    heights: list[tuple[float, float]], width: int = 160
) -> tuple[np.ndarray, np.ndarray]:
    """Backscatter (dB) of a constant 0 dB surface over an east-west terrain profile."""
    xs, zs = zip(*heights, strict=True)
    z = np.interp(np.arange(width) * 10.0, xs, zs)
    dem = np.tile(z, (3, 1)).astype(np.float32)
    slant, centre, cos_loc, code = radar_geometry(dem, 10.0, 37.0)
    weights = np.repeat(code != 2, 4, axis=1) * cos_loc / np.cos(np.radians(37.0))
    power = project_to_slant_range(np.ones(dem.shape), slant, centre, weights) * (code != 2)
    return 10 * np.log10(power[1] + 1e-12), code[1]


class TestRadarGeometry:
    def test_flat_terrain_is_returned_unchanged(self) -> None:
        db, code = _profile_power([(0, 100.0), (1600, 100.0)])
        np.testing.assert_allclose(db, 0.0, atol=1e-9)
        assert not code.any()

    def test_foreshortening_brightens_facing_slopes(self) -> None:
        # flat, a 0.4 (22 deg) slope rising east towards... away from the western sensor's
        # ground range, i.e. facing it, a plateau, then the same slope facing away
        db, code = _profile_power([(0, 0), (400, 0), (700, 120), (1000, 120), (1300, 0), (1600, 0)])
        facing, away, flat = db[45:65].mean(), db[105:125].mean(), db[5:35]
        # theory: compression 1 / (1 - 0.4 cot 37) = 2.13 (3.3 dB) and incidence gain 0.8 dB
        assert facing == pytest.approx(4.1, abs=0.4)
        assert away < -2.0
        np.testing.assert_allclose(flat, 0.0, atol=1e-9)
        assert not code.any()

    def test_layover_and_shadow(self) -> None:
        # a 45 deg cliff facing the sensor (steeper than the 37 deg incidence: layover) and a
        # 63 deg drop behind it (steeper than 90 - 37 deg: shadow)
        db, code = _profile_power([(0, 0), (600, 0), (800, 200), (1000, 200), (1100, 0), (1600, 0)])
        assert (code[62:79] == 1).all()
        assert (code[101:110] == 2).all()
        assert np.all(db[code == 2] < -100)  # no return at all
        # layover sums the cliff's returns with the ground in front of it
        assert db[code == 1].mean() > 3.0

    def test_scene_with_steep_terrain(self) -> None:
        sc = generate_scene(SceneConfig(height=128, width=128, seed=2, dates=1, relief=4000.0))
        code = sc.radar_geometry
        assert (code == 1).mean() > 0.005 and (code == 2).mean() > 0.005
        np.testing.assert_allclose(sc.sar_clean[0, 0][code == 2], NESZ_DB, atol=1e-4)


class TestVectors:
    def test_buildings_lie_in_urban_land_cover(self, scene: Scene, tmp_path: Path) -> None:
        write_scene(scene, tmp_path)
        feats, crs = read_geojson(tmp_path / "buildings.geojson")
        assert crs == "EPSG:32633" and len(feats) == len(scene.buildings) > 50
        inv = ~scene.grid.transform
        inside = 0
        for geom, props in feats:
            assert props["building"] == "yes"
            col, row = inv @ (geom.centroid.x, geom.centroid.y)
            inside += scene.landcover[int(row), int(col)] == LandCover.URBAN
        assert inside / len(feats) > 0.95
        roads, _ = read_geojson(tmp_path / "roads.geojson")
        assert {p["highway"] for _, p in roads} == {"primary", "residential"}


class TestSizes:
    @pytest.mark.parametrize("shape", [(64, 64), (64, 200), (150, 70)])
    @pytest.mark.parametrize("seed", range(4))
    def test_small_and_oblong_scenes(self, shape: tuple[int, int], seed: int) -> None:
        sc = generate_scene(height=shape[0], width=shape[1], seed=seed, dates=1)
        assert sc.optical.shape == (13, *shape) and sc.sar.shape == (1, 2, *shape)
        assert np.isfinite(sc.sar).all() and sc.optical.min() > 0  # 0 is nodata
        assert sc.grid.shape == shape

    def test_too_small_or_no_dates(self) -> None:
        with pytest.raises(ConfigError, match="at least 64x64"):
            generate_scene(height=32, width=128)
        with pytest.raises(ConfigError, match="dates >= 1"):
            generate_scene(height=64, width=64, dates=0)
