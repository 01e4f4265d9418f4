"""OSM readers: themes from .osm.pbf and from tagged GeoJSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import LineString, box

from saropt.errors import InputNotFoundError, InvalidVectorError
from saropt.io.osm import read_osm
from saropt.io.vector import write_geojson


class TestOsm:
    def test_helsinki_themes(self, data_dir: Path) -> None:
        f = read_osm(data_dir / "osm" / "Helsinki.osm.pbf")
        assert len(f.buildings) > 300 and len(f.roads) > 2000
        assert f.water and f.vegetation
        assert {"grass", "park"} <= {v for _, v in f.vegetation}
        assert all(g.geom_type in ("Polygon", "MultiPolygon") for g in f.buildings)
        w, s, _, _ = f.buildings[0].bounds
        assert 24.8 < w < 25.1 and 60.1 < s < 60.3  # central Helsinki, degrees

    def test_bbox_filter(self, data_dir: Path) -> None:
        every = read_osm(data_dir / "osm" / "test.osm.pbf")
        part = read_osm(data_dir / "osm" / "test.osm.pbf", bbox=(26.93, 60.52, 26.95, 60.53))
        assert 0 < len(part.buildings) < len(every.buildings)

    def test_geojson_tags(self, tmp_path: Path) -> None:
        p = write_geojson(
            tmp_path / "f.geojson",
            [
                (box(0, 0, 10, 10), {"building": "house"}),
                (LineString([(0, 0), (50, 0)]), {"highway": "primary"}),
                (box(20, 20, 40, 40), {"landuse": "forest"}),
                (box(50, 50, 60, 60), {"natural": "water"}),
                (LineString([(0, 5), (9, 5)]), {"waterway": "stream"}),
            ],
            "EPSG:32633",
        )
        f = read_osm(p)
        assert f.crs == "EPSG:32633"
        assert (len(f.buildings), len(f.roads), len(f.vegetation), len(f.water)) == (1, 1, 1, 1)
        assert f.roads[0][1] == "primary" and f.waterways[0][1] == "stream"

    def test_errors(self, tmp_path: Path) -> None:
        with pytest.raises(InputNotFoundError):
            read_osm(tmp_path / "x.osm.pbf")
        (tmp_path / "x.shp").write_text("")
        with pytest.raises(InvalidVectorError, match="unknown vector format"):
            read_osm(tmp_path / "x.shp")
