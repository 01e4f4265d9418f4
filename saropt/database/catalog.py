"""The database's catalogues: ``index.csv`` (one row per built tile) and a self-contained
STAC catalog with checksums."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from saropt import __version__
from saropt.database.plan import ASSETS, INDEX_NAME, DatabasePlan
from saropt.database.register import FLOW_STATS
from saropt.database.splits import SPLITS
from saropt.database.tile import TileRecord
from saropt.io.atomic import write_text_atomic

INDEX_COLUMNS = (
    "id", "split", "row", "col", "height", "width", "left", "bottom", "right", "top",
    "valid_fraction", *ASSETS, *(f"flow_{k}" for k in FLOW_STATS),
)  # fmt: skip


def write_index(out: Path, records: Sequence[TileRecord]) -> Path:
    """Write ``index.csv``: one row per built tile, asset paths relative to ``out``, and the
    flow statistics of registered tiles (empty cells otherwise)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INDEX_COLUMNS)
    for r in records:
        if r.status != "built":
            continue
        writer.writerow(
            [r.id, r.split, r.row, r.col, r.height, r.width, *r.bounds, r.valid_fraction,
             *(r.assets.get(a, "") for a in ASSETS),
             *(r.registration.get(k, "") for k in FLOW_STATS)]
        )  # fmt: skip
    return write_text_atomic(out / INDEX_NAME, buf.getvalue())


def write_stac(out: Path, plan: DatabasePlan, records: Sequence[TileRecord]) -> Path:
    """Write a self-contained STAC catalog: one item per built tile, one asset per modality."""
    import datetime as dt

    import pystac
    from shapely.geometry import box, mapping

    from saropt.io.features import reproject_geometries

    when = dt.datetime.fromisoformat(plan.config.date.replace("Z", "+00:00"))
    catalog = pystac.Catalog(
        id="saropt-dream",
        description=(
            "Sentinel-1, Sentinel-2, DEM and OpenStreetMap on one grid, tiled "
            f"({plan.grid.crs}, {plan.grid.res[0]:g} units per pixel); built by saropt "
            f"{__version__}"
        ),
    )
    for split in SPLITS:
        child = pystac.Catalog(id=split, description=f"{split} tiles")
        catalog.add_child(child)
        for r in records:
            if r.status != "built" or r.split != split:
                continue
            geom = reproject_geometries([box(*r.bounds)], str(plan.grid.crs), "EPSG:4326")[0]
            item = pystac.Item(
                id=r.id,
                geometry=mapping(geom),
                bbox=list(geom.bounds),
                datetime=when,
                properties={
                    "saropt:split": split,
                    "saropt:valid_fraction": r.valid_fraction,
                    "proj:code": plan.grid.crs,
                    "proj:bbox": r.bounds,
                    "proj:shape": [r.height, r.width],
                    **{f"saropt:flow_{k}": v for k, v in r.registration.items() if k != "key"},
                },
            )
            for name, rel in r.assets.items():
                item.add_asset(
                    name,
                    pystac.Asset(
                        href=os.path.relpath(out / rel, out / "stac" / split / r.id),
                        media_type=pystac.MediaType.GEOTIFF,
                        title=ASSETS[name],
                        roles=["data"],
                        extra_fields={"file:checksum": "1220" + r.sha256[name]},
                    ),
                )
            child.add_item(item)
    catalog.normalize_hrefs(str(out / "stac"))
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return out / "stac" / "catalog.json"
