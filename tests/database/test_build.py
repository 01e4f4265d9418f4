"""The multimodal database: grid accuracy, real OSM and DEM, resume, splits, catalog."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box
from shapely.ops import unary_union

import saropt.database.build as build_mod
from saropt.database.build import (
    BuildConfig,
    DatabaseInputs,
    assign_splits,
    build_database,
    plan_database,
)
from saropt.database.osm_layers import OsmClass, project_osm, rasterize_osm
from saropt.errors import ConfigError, JobsFailedError
from saropt.io.features import reproject_geometries
from saropt.io.grid import Grid, PixelWindow, iter_windows
from saropt.io.osm import read_osm
from saropt.io.raster import Raster, read_raster
from saropt.io.warp import read_onto_grid, reproject_raster
from saropt.io.write import write_raster
from saropt.metrics import phase_correlation_shift
from saropt.synth import Scene, generate_scene, write_scene


@pytest.fixture(scope="module")
def scene_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scene, DatabaseInputs]:
    """A generated scene whose S1 is in EPSG:4326 and whose DEM is at 30 m."""
    d = tmp_path_factory.mktemp("inputs")
    sc = generate_scene(height=300, width=260, seed=4, dates=3)
    manifest = write_scene(sc, d)
    geo = Grid.from_origin("EPSG:4326", 14.995, 46.06, 0.0001, 380, 330)
    s1 = []
    for name in manifest["files"]["sar"]:
        src = read_raster(d / name)
        write_raster(d / f"geo_{name}", reproject_raster(src, geo, dst_nodata=math.nan))
        s1.append(d / f"geo_{name}")
    g30 = Grid.from_origin(sc.grid.crs, sc.grid.transform.c, sc.grid.transform.f, 30.0, 87, 100)
    dem30 = reproject_raster(
        read_raster(d / "dem.tif"), g30, resampling="average", dst_nodata=math.nan
    )
    write_raster(d / "dem30.tif", dem30)
    return sc, DatabaseInputs(s1=tuple(s1), s2=(d / "s2.tif",), dem=(d / "dem30.tif",))


def _all_files(out: Path) -> dict[str, str]:
    """SHA-256 of every file under ``out``, hidden ones included."""
    import hashlib

    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _hashes(out: Path) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "tiles").rglob("*.tif"))
    }


class TestGridAccuracy:
    def test_reprojected_s1_and_30m_dem_rebuild_within_half_a_pixel(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        sc, inputs = scene_inputs
        (rec,) = build_database(inputs, tmp_path, BuildConfig(tile_size=512))
        t = json.loads((tmp_path / "database.json").read_text())["grid"]["transform"]
        r0 = round((sc.grid.transform.f - t[5]) / 10.0)
        c0 = round((t[2] - sc.grid.transform.c) / 10.0)
        s1 = read_raster(tmp_path / rec.assets["s1_single"]).data[0]
        dem = read_raster(tmp_path / rec.assets["dem"]).data[0]
        h, w = s1.shape
        m = 8  # stay clear of the footprint's edge
        ref_s1 = sc.sar[0, 0, r0 : r0 + h, c0 : c0 + w][m:-m, m:-m]
        ref_dem = sc.dem[r0 : r0 + h, c0 : c0 + w][m:-m, m:-m]
        for ref, got in ((ref_s1, s1[m:-m, m:-m]), (ref_dem, dem[m:-m, m:-m])):
            assert np.isfinite(got).all()
            dy, dx = phase_correlation_shift(ref, got)
            assert math.hypot(dy, dx) < 0.5, (dy, dx)
            # the measurement sees a real one-pixel error in the same data
            moved = np.roll(got, 1, axis=1)
            assert phase_correlation_shift(ref, moved)[1] == pytest.approx(1.0, abs=0.1)
        assert np.abs(dem[m:-m, m:-m] - ref_dem).mean() < 5.0  # metres, from a 30 m DEM


class TestRealData:
    def test_rmnp_dem_to_utm_30m_keeps_its_range(self, data_dir: Path) -> None:
        path = data_dir / "dem" / "rmnp-dem.tif"
        src = read_raster(path)
        (left, bottom, right, top) = reproject_geometries(
            [box(*src.grid.bounds)], "EPSG:4326", "EPSG:32613"
        )[0].bounds
        grid = Grid.from_origin(
            "EPSG:32613", left, top, 30.0, int((right - left) // 30), int((top - bottom) // 30)
        )
        out = read_onto_grid(
            path, grid, resampling="bilinear", dtype="float32", dst_nodata=math.nan
        )
        valid = src.data[0][src.data[0] != src.nodata].astype(float)
        got = out.data[0][np.isfinite(out.data[0])]
        assert got.size > 0.8 * out.data[0].size
        assert got.min() == pytest.approx(valid.min(), rel=0.01)
        assert got.max() == pytest.approx(valid.max(), rel=0.01)

    def test_kouvola_osm_on_a_10m_utm_grid(self, data_dir: Path) -> None:
        feats = read_osm(data_dir / "osm" / "test.osm.pbf")
        assert len(feats.buildings) > 2000 and len(feats.roads) > 300
        area = reproject_geometries([box(26.93, 60.52, 26.97, 60.54)], "EPSG:4326", "EPSG:32635")[0]
        left, bottom, right, top = area.bounds
        grid = Grid.from_origin(
            "EPSG:32635", left, top, 10.0, int((right - left) // 10), int((top - bottom) // 10)
        )
        osm = project_osm(feats, "EPSG:32635", 10.0)
        classes, layers = rasterize_osm(osm, grid)
        frame = box(*grid.bounds)
        footprint_share = unary_union(osm.buildings).intersection(frame).area / frame.area
        pixel_share = float(layers[0].mean())
        assert pixel_share == pytest.approx(footprint_share, rel=0.2)
        assert layers[1].mean() > 0.02  # roads present
        assert set(np.unique(classes)) <= {int(c) for c in OsmClass}
        np.testing.assert_array_equal(classes == OsmClass.BUILDING, layers[0] == 1)


class TestResume:
    def test_interrupted_build_resumes_to_identical_tiles(
        self,
        scene_inputs: tuple[Scene, DatabaseInputs],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=96)
        full = build_database(inputs, tmp_path / "full", cfg)
        assert len(full) >= 9

        real = build_mod.build_tile
        calls = {"n": 0}

        def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 4:  # as Ctrl-C would, while the fourth tile is being written
                tmp = tmp_path / "resumed" / "tiles" / args[2].id / ".s2.tif.0123456789ab.tmp"
                tmp.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(b"half a GeoTIFF")
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(build_mod, "build_tile", killed)
        with pytest.raises(KeyboardInterrupt):
            build_database(inputs, tmp_path / "resumed", cfg)
        partial = tmp_path / "resumed"
        assert len(list((partial / "tiles").glob("*/tile.json"))) == 3
        assert len(list(partial.rglob(".*.tmp"))) == 1  # what the kill left behind
        monkeypatch.setattr(build_mod, "build_tile", real)
        seen = []
        resumed = build_database(inputs, partial, cfg, progress=lambda d, t: seen.append(d))
        assert seen[0] == 3  # three tiles were already done and not rebuilt
        assert _all_files(partial) == _all_files(tmp_path / "full")  # the .tmp is gone too
        assert [r.sha256 for r in resumed] == [r.sha256 for r in full]

    def test_a_truncated_or_changed_tile_is_built_again(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=128)
        full = build_database(inputs, tmp_path / "full", cfg)
        db = tmp_path / "db"
        build_database(inputs, db, cfg)
        s2 = db / full[0].assets["s2"]
        s2.write_bytes(s2.read_bytes()[:-100])  # its end lost, as in a crash
        dem = db / full[1].assets["dem"]
        dem.write_bytes(dem.read_bytes().replace(b"\x00", b"\x01", 1))  # changed in place
        (db / "tiles" / full[2].id / "tile.json").write_text("{not json")
        seen = []
        build_database(inputs, db, cfg, progress=lambda d, t: seen.append(d))
        assert seen[0] == len(full) - 3  # the three damaged tiles are built again
        assert _all_files(db) == _all_files(tmp_path / "full")

    def test_a_failing_tile_is_retried_then_reported_by_id_and_the_others_finish(
        self,
        scene_inputs: tuple[Scene, DatabaseInputs],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=96)
        real = build_mod.build_tile
        tiles = plan_database(inputs, cfg).tiles
        flaky, broken = tiles[1].id, tiles[4].id
        attempts = {flaky: 0, broken: 0}

        def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
            tid = args[2].id
            if tid in attempts:
                attempts[tid] += 1
                if tid == broken or attempts[tid] == 1:
                    raise OSError(f"cannot read a block of tile {tid}")
            return real(*args, **kwargs)

        monkeypatch.setattr(build_mod, "build_tile", failing)
        with pytest.raises(JobsFailedError, match=f"1 tiles failed: {broken} \\(OSError") as e:
            build_database(inputs, tmp_path / "db", cfg, retries=2)
        assert e.value.failed == {broken: f"OSError: cannot read a block of tile {broken}"}
        assert attempts == {flaky: 2, broken: 3}  # the flaky tile passed on its retry
        built = {p.parent.name for p in (tmp_path / "db" / "tiles").glob("*/tile.json")}
        assert built == {t.id for t in tiles} - {broken}
        assert not (tmp_path / "db" / "index.csv").exists()  # the database is not complete
        monkeypatch.setattr(build_mod, "build_tile", real)
        build_database(inputs, tmp_path / "db", cfg)  # the rerun builds only the broken one
        build_database(inputs, tmp_path / "full", cfg)
        assert _all_files(tmp_path / "db") == _all_files(tmp_path / "full")

    def test_two_workers_build_the_same_bytes(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=128)
        build_database(inputs, tmp_path / "one", cfg, workers=1)
        build_database(inputs, tmp_path / "two", cfg, workers=2)
        assert _hashes(tmp_path / "one") == _hashes(tmp_path / "two")

    def test_other_settings_in_the_same_folder_are_refused(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        _, inputs = scene_inputs
        build_database(inputs, tmp_path, BuildConfig(tile_size=256))
        with pytest.raises(ConfigError, match="other inputs or settings"):
            build_database(inputs, tmp_path, BuildConfig(tile_size=128))


class TestDask:
    """One task per tile on a dask.distributed cluster: the same bytes as in-process."""

    def test_local_cluster_builds_the_same_bytes(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=96)
        here = build_database(inputs, tmp_path / "here", cfg)
        there = build_database(inputs, tmp_path / "dask", cfg, scheduler="local:2")
        assert [r.sha256 for r in there] == [r.sha256 for r in here]
        assert _all_files(tmp_path / "dask") == _all_files(tmp_path / "here")

    def test_a_killed_worker_loses_nothing(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        import os
        import signal

        from distributed import Client, LocalCluster

        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=64)
        build_database(inputs, tmp_path / "here", cfg)
        killed = []
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):

            def kill_one(done: int, total: int) -> None:
                if done >= 2 and not killed:  # mid-way: tiles done, tiles still to build
                    pid = next(iter(client.run(os.getpid).values()))
                    os.kill(pid, signal.SIGKILL)
                    killed.append((pid, done, total))

            try:
                build_database(inputs, tmp_path / "dask", cfg, client=client, progress=kill_one)
            except JobsFailedError:
                pass  # Dask gave up on a tile the dead worker held: the rerun builds it
            assert killed and killed[0][1] < killed[0][2]
            build_database(inputs, tmp_path / "dask", cfg, client=client)
        assert _all_files(tmp_path / "dask") == _all_files(tmp_path / "here")

    @pytest.mark.parametrize(
        ("where", "after"),
        [(["--workers", "1"], 2), (["--workers", "1"], 6), (["--workers", "2"], 4),
         (["--scheduler", "local:2"], 4)],
    )  # fmt: skip
    def test_a_killed_client_leaves_no_process_and_resumes_to_the_same_bytes(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path, where: list[str],
        after: int,
    ) -> None:  # fmt: skip
        import signal
        import subprocess
        import sys
        import time

        import psutil

        _, inputs = scene_inputs
        out = tmp_path / "killed"
        cmd = [sys.executable, "-m", "saropt", "db", "build", "--out", str(out),
               "--s2", str(inputs.s2[0]), "--dem", str(inputs.dem[0]), "--tile-size", "32",
               *where]  # fmt: skip
        for s1 in inputs.s1:
            cmd += ["--s1", str(s1)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while len(list(out.glob("tiles/*/tile.json"))) < after and time.monotonic() < deadline:
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children or where == ["--workers", "1"]  # the pool's or the cluster's
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"left behind: {[p.pid for p in alive]}"
        assert not (out / "index.csv").exists()  # it was killed before the end
        cfg = BuildConfig(tile_size=32)
        build_database(inputs, out, cfg)  # the rerun, in this process
        build_database(inputs, tmp_path / "whole", cfg)
        assert _all_files(out) == _all_files(tmp_path / "whole")


class TestStacAndCog:
    def test_stac_items_drive_a_cog_build(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        import pystac
        from typer.testing import CliRunner

        from saropt.cli.main import app
        from tests.helpers import cog_problems

        _, inputs = scene_inputs
        when = pystac.utils.str_to_datetime("2021-06-01T00:00:00Z")
        items = [pystac.Item(f"s1-{i}", None, None, when, {}) for i in range(len(inputs.s1))]
        for item, path in zip(items, inputs.s1, strict=True):
            item.add_asset("sar", pystac.Asset(str(path)))  # a hand-written key: an alias
        both = pystac.Item("s2-and-dem", None, None, when, {})
        both.add_asset("s2", pystac.Asset(str(inputs.s2[0])))
        both.add_asset("dem", pystac.Asset(str(inputs.dem[0])))
        stac = tmp_path / "items.json"
        stac.write_text(json.dumps(pystac.ItemCollection([*items, both]).to_dict()))
        assert DatabaseInputs.from_stac(stac) == inputs
        args = ["--stac", str(stac), "--out", str(tmp_path / "cog"), "--tile-size", "160"]
        res = CliRunner().invoke(app, ["db", "build", *args, "--cog"])
        assert res.exit_code == 0, res.output
        plain = build_database(inputs, tmp_path / "plain", BuildConfig(tile_size=160))
        for rec in plain:
            for rel in rec.assets.values():
                assert cog_problems(tmp_path / "cog" / rel) == []
                a, b = read_raster(tmp_path / "cog" / rel), read_raster(tmp_path / "plain" / rel)
                np.testing.assert_array_equal(a.data, b.data)
                assert a.grid == b.grid and a.descriptions == b.descriptions
        res = CliRunner().invoke(app, ["db", "build", "--out", str(tmp_path / "x")])
        assert res.exit_code == 2 and "needs SAR and optical inputs" in res.output


class TestSplits:
    def test_splits_are_spatially_disjoint(self) -> None:
        windows = list(iter_windows(1000, 900, 100, 30))
        splits, n_blocks = assign_splits(windows, 70, 2, (0.6, 0.2, 0.2), seed=1)
        assert n_blocks > 20
        owner = np.full((1000, 900), "", dtype=object)
        for w, s in zip(windows, splits, strict=True):
            if s is None:
                continue
            region = owner[w.slices()]
            assert set(np.unique(region)) <= {"", s}  # never a pixel of another split
            region[...] = s
        present = {s for s in splits if s is not None}
        assert present == {"train", "val", "test"}
        assert splits.count(None) < len(windows) / 2

    def test_build_records_splits_in_index_and_stac(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        import pystac

        _, inputs = scene_inputs
        cfg = BuildConfig(tile_size=48, overlap=8, split_block=1, seed=3)
        records = build_database(inputs, tmp_path, cfg)
        built = [r for r in records if r.status == "built"]
        rows = (tmp_path / "index.csv").read_text().strip().splitlines()
        assert len(rows) == len(built) + 1
        by_split: dict[str, list[PixelWindow]] = {}
        for r in built:
            by_split.setdefault(r.split, []).append(PixelWindow(r.row, r.col, r.height, r.width))
        assert set(by_split) == {"train", "val", "test"}
        cover = {k: np.zeros((300, 300), bool) for k in by_split}
        for k, ws in by_split.items():
            for w in ws:
                cover[k][w.slices()] = True
        assert not (cover["train"] & cover["val"]).any()
        assert not (cover["train"] & cover["test"]).any()
        assert not (cover["val"] & cover["test"]).any()
        cat = pystac.Catalog.from_file(str(tmp_path / "stac" / "catalog.json"))
        items = list(cat.get_items(recursive=True))
        assert len(items) == len(built)
        for item in items[:3]:
            for asset in item.assets.values():
                assert Path(asset.get_absolute_href()).exists()


class TestPlan:
    def test_least_cloudy_s2_is_chosen(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        sc, inputs = scene_inputs
        masks = []
        for i, share in enumerate((0.8, 0.1, 0.5)):
            m = np.zeros((1, *sc.grid.shape), np.uint8)
            m[0, : int(share * sc.grid.height)] = 1
            masks.append(write_raster(tmp_path / f"m{i}.tif", Raster(m, sc.grid)))
        s2 = (inputs.s2[0], tmp_path / "b.tif", tmp_path / "c.tif")
        for p in s2[1:]:
            p.write_bytes(inputs.s2[0].read_bytes())
        plan = plan_database(
            DatabaseInputs(s1=inputs.s1, s2=s2, s2_cloud_masks=tuple(masks)), BuildConfig()
        )
        assert plan.s2 == s2[1]

    def test_low_valid_tiles_are_skipped(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        sc, inputs = scene_inputs
        half = read_raster(inputs.s2[0])
        half.data[:, :, : sc.grid.width // 2] = 0  # nodata in the west half
        write_raster(tmp_path / "half.tif", half)
        records = build_database(
            DatabaseInputs(s1=inputs.s1, s2=(tmp_path / "half.tif",)),
            tmp_path / "db",
            BuildConfig(tile_size=64, min_valid=0.9),
        )
        skipped = [r for r in records if r.status == "skipped"]
        built = [r for r in records if r.status == "built"]
        assert skipped and built
        assert all(r.valid_fraction < 0.9 for r in skipped)
        assert all(not (tmp_path / "db" / "tiles" / r.id / "s2.tif").exists() for r in skipped)

    def test_no_common_footprint(self, tmp_path: Path) -> None:
        from saropt.errors import GridMismatchError

        a = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, 64, 64)
        b = Grid.from_origin("EPSG:32633", 600000.0, 5100000.0, 10.0, 64, 64)
        s2 = write_raster(tmp_path / "s2.tif", Raster(np.ones((4, 64, 64), np.uint16), a, 0))
        s1 = write_raster(tmp_path / "s1.tif", Raster(np.zeros((2, 64, 64), np.float32), b))
        with pytest.raises(GridMismatchError, match="share no footprint"):
            plan_database(DatabaseInputs(s1=(s1,), s2=(s2,)), BuildConfig())


class TestFiveMetreGrid:
    def test_resolution_option_builds_a_finer_grid(
        self, scene_inputs: tuple[Scene, DatabaseInputs], tmp_path: Path
    ) -> None:
        sc, inputs = scene_inputs
        ten = plan_database(inputs, BuildConfig())
        five = plan_database(inputs, BuildConfig(resolution=5.0, tile_size=256))
        assert five.grid.res == (5.0, 5.0) and five.grid.crs == ten.grid.crs
        assert abs(five.grid.width - 2 * ten.grid.width) <= 2
        assert abs(five.grid.height - 2 * ten.grid.height) <= 2
        assert five.resampling["s2"] == "bilinear"  # 10 m S2 upsampled, not copied
        (rec, *_) = build_database(inputs, tmp_path, BuildConfig(resolution=5.0, tile_size=1024))
        s2 = read_raster(tmp_path / rec.assets["s2"])
        assert s2.grid.res == (5.0, 5.0)
        # each 10 m pixel of the scene now covers 2 x 2 pixels of about its value
        t = five.grid.transform
        r0 = round((sc.grid.transform.f - t.f) / 10.0)
        c0 = round((t.c - sc.grid.transform.c) / 10.0)
        coarse = s2.data[3, 20:60, 20:60].reshape(20, 2, 20, 2).astype(float).mean(axis=(1, 3))
        ref = sc.optical[3, r0 + 10 : r0 + 30, c0 + 10 : c0 + 30].astype(float)
        assert np.corrcoef(coarse.ravel(), ref.ravel())[0, 1] > 0.9
