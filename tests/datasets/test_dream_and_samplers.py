"""DreamDataset on a database built at test time, and the samplers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from saropt.database.build import BuildConfig, DatabaseInputs, build_database
from saropt.datasets import DreamDataset, PairSampler, PairSpec, grid_patches, random_patches
from saropt.errors import ConfigError, InputNotFoundError
from saropt.io.grid import PixelWindow
from saropt.io.raster import read_raster
from saropt.synth import generate_scene, write_scene


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dream")
    sc = generate_scene(height=128, width=128, seed=2, dates=2)
    m = write_scene(sc, d / "scene")
    build_database(
        DatabaseInputs(
            s1=tuple(d / "scene" / f for f in m["files"]["sar"]),
            s2=(d / "scene" / "s2.tif",),
            dem=(d / "scene" / "dem.tif",),
            osm=(d / "scene" / "buildings.geojson", d / "scene" / "roads.geojson"),
        ),
        d / "db",
        BuildConfig(tile_size=64, split_block=1, split_fractions=(0.5, 0.25, 0.25)),
    )
    return d / "db"


class TestDreamDataset:
    def test_random_patches_are_seeded_and_georeferenced(self, database: Path) -> None:
        mods = ("s1", "s2", "dem", "osm_layers", "osm_classes")
        a = DreamDataset(database, split=None, modalities=mods, patch_size=32, seed=5)
        b = DreamDataset(database, split=None, modalities=mods, patch_size=32, seed=5)
        c = DreamDataset(database, split=None, modalities=mods, patch_size=32, seed=6)
        assert len(a) == 4 * 4
        sa, sb = a[3], b[3]
        for key in ("sar", "optical", "dem", "osm", "label"):
            torch.testing.assert_close(sa[key], sb[key])
        assert a.window(3) == b.window(3) and any(a.window(i) != c.window(i) for i in range(8))
        assert sa["sar"].shape == (2, 32, 32) and sa["optical"].shape == (13, 32, 32)
        assert sa["osm"].shape == (4, 32, 32) and sa["label"].dtype == torch.long
        # the patch is the window of the tile, with the window's georeference
        t, win = a.window(3)
        tile = a.tiles[t]
        full = read_raster(database / tile["s2"]).data[
            :, win.row : win.row + 32, win.col : win.col + 32
        ]
        torch.testing.assert_close(sa["optical"], torch.from_numpy(full.astype(np.float32) / 1e4))
        left = float(tile["left"]) + win.col * 10.0
        assert sa["transform"][2] == pytest.approx(left)

    def test_grid_mode_and_splits(self, database: Path) -> None:
        ds = DreamDataset(database, split=None, mode="grid", patch_size=32)
        assert len(ds) == 4 * 4  # four 64 px tiles, four 32 px patches each
        per_split = {
            s: len(DreamDataset(database, split=s, mode="grid", patch_size=32))
            for s in ("train", "val", "test")
        }
        assert sum(per_split.values()) == len(ds) and min(per_split.values()) > 0

    def test_errors(self, database: Path, tmp_path: Path) -> None:
        with pytest.raises(InputNotFoundError, match=r"index\.csv"):
            DreamDataset(tmp_path)
        with pytest.raises(ConfigError, match="unknown modalities"):
            DreamDataset(database, modalities=("s3",))
        with pytest.raises(ConfigError, match="does not fit"):
            DreamDataset(database, split=None, patch_size=128)[0]


class TestPatchSamplers:
    def test_random_patches(self) -> None:
        g = torch.Generator().manual_seed(0)
        wins = random_patches(100, 80, 16, 200, g)
        assert all(0 <= w.row <= 84 and 0 <= w.col <= 64 for w in wins)
        again = random_patches(100, 80, 16, 200, torch.Generator().manual_seed(0))
        assert wins == again
        assert len({(w.row, w.col) for w in wins}) > 150

    def test_grid_patches_cover(self) -> None:
        wins = grid_patches(100, 80, 32, 16)
        seen = np.zeros((100, 80), bool)
        for w in wins:
            seen[w.slices()] = True
        assert seen.all() and all(w.height == w.width == 32 for w in wins)


class TestPairSampler:
    def test_positives_and_negatives(self) -> None:
        s = PairSampler([(128, 128), (96, 160)], 32, min_distance=40, negative_ratio=2.0)
        pairs = s.sample(100, torch.Generator().manual_seed(1))
        pos = [p for p in pairs if p.label == 1]
        neg = [p for p in pairs if p.label == 0]
        assert len(pos) == 100 and len(neg) == 200
        assert all(p.sar == p.optical and p.sar_image == p.image for p in pos)
        for p in neg:
            if p.sar_image == p.image:
                assert math.hypot(p.sar.row - p.optical.row, p.sar.col - p.optical.col) >= 40
        assert {p.sar_image for p in neg} == {0, 1}

    def test_hard_negative_hook(self) -> None:
        def shifted(pos: PairSpec, g: torch.Generator) -> PairSpec:
            w = pos.optical
            return PairSpec(
                pos.image, w, pos.image, PixelWindow(w.row, w.col, w.height, w.width), 0, "hard"
            )

        s = PairSampler([(128, 128)], 32, hard_negatives=shifted, hard_fraction=0.5)
        pairs = s.sample(400, torch.Generator().manual_seed(2))
        kinds = [p.kind for p in pairs if p.label == 0]
        assert 0.4 < kinds.count("hard") / len(kinds) < 0.6
        assert set(kinds) == {"hard", "random"}

    def test_impossible_negative(self) -> None:
        s = PairSampler([(40, 40)], 32, min_distance=100)
        with pytest.raises(ConfigError, match="no negative"):
            s.sample(1, torch.Generator().manual_seed(0))
