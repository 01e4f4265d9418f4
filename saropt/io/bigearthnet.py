"""Reader for the BigEarthNet-MM pair layout.

BigEarthNet-MM (Sumbul et al., "BigEarthNet-MM: A large-scale multimodal multilabel
benchmark archive for remote sensing image classification and retrieval", IEEE GRSM 2021)
stores each patch as a folder with one GeoTIFF per band:

* Sentinel-1: ``<S1 patch>/<S1 patch>_VV.tif`` and ``_VH.tif``, float32 dB, 120x120 at 10 m,
  and ``<S1 patch>_labels_metadata.json`` whose ``corresponding_s2_patch`` names the partner;
* Sentinel-2 L2A: ``<S2 patch>/<S2 patch>_B01.tif`` ... ``_B12.tif`` (12 bands, no B10),
  uint16, 120x120 at 10 m, 60x60 at 20 m and 20x20 at 60 m.

:func:`read_bigearthnet_pair` returns both stacks on the 10 m grid of the pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from saropt.errors import GridMismatchError, RasterNotFoundError
from saropt.io.grid import PathLike, check_same_grid
from saropt.io.raster import Raster, read_raster
from saropt.io.sentinel import S1_BANDS, S2_L2A_BANDS
from saropt.io.warp import reproject_raster


@dataclass(frozen=True)
class BigEarthNetPair:
    """One co-registered BigEarthNet-MM patch pair on a 10 m grid.

    Attributes:
        sar: Sentinel-1 VV, VH in dB, float32, (2, 120, 120).
        optical: Sentinel-2 L2A, 12 bands in :data:`S2_L2A_BANDS` order, uint16,
            (12, 120, 120); 20 m and 60 m bands resampled bilinearly to 10 m.
        labels: CORINE land-cover multi-labels of the patch.
        s1_name: S1 patch folder name.
        s2_name: S2 patch folder name.
    """

    sar: Raster
    optical: Raster
    labels: tuple[str, ...]
    s1_name: str
    s2_name: str


def _metadata(folder: Path) -> dict[str, object]:
    path = folder / f"{folder.name}_labels_metadata.json"
    if not path.exists():
        raise RasterNotFoundError(
            f"'{path}' is missing: a BigEarthNet-MM patch folder holds "
            "<patch>_labels_metadata.json next to its band files"
        )
    data: dict[str, object] = json.loads(path.read_text())
    return data


def find_bigearthnet_pairs(root: PathLike) -> list[tuple[Path, Path]]:
    """(S1 folder, S2 folder) of every pair under ``root``.

    The S1 folders are found under any sub-folder; each S1 patch's metadata names its S2
    partner, which is looked up anywhere under ``root``.

    Raises:
        RasterNotFoundError: An S1 patch's partner is missing.
    """
    root = Path(root)
    s2_dirs = {p.parent.name: p.parent for p in root.rglob("*_B02.tif")}
    pairs = []
    for vv in sorted(root.rglob("*_VV.tif")):
        s1_dir = vv.parent
        partner = str(_metadata(s1_dir)["corresponding_s2_patch"])
        if partner not in s2_dirs:
            raise RasterNotFoundError(
                f"S1 patch '{s1_dir.name}' names S2 patch '{partner}', which is not under "
                f"'{root}'; extract the matching BigEarthNet-S2 archive there"
            )
        pairs.append((s1_dir, s2_dirs[partner]))
    return pairs


def read_bigearthnet_pair(s1_dir: PathLike, s2_dir: PathLike) -> BigEarthNetPair:
    """Read one pair as co-registered S1 and S2 stacks on the 10 m grid.

    Raises:
        RasterNotFoundError: A band file is missing.
        GridMismatchError: The S1 and S2 10 m grids differ.
    """
    s1_dir, s2_dir = Path(s1_dir), Path(s2_dir)
    s1_bands = [read_raster(s1_dir / f"{s1_dir.name}_{p}.tif") for p in S1_BANDS]
    sar_data = np.concatenate([b.data for b in s1_bands]).astype(np.float32)
    sar = Raster(sar_data, s1_bands[0].grid, None, S1_BANDS)

    ref = read_raster(s2_dir / f"{s2_dir.name}_B02.tif")
    grid = ref.grid
    stack = []
    for name in S2_L2A_BANDS:
        band = read_raster(s2_dir / f"{s2_dir.name}_{name}.tif")
        if band.grid.shape != grid.shape:
            band = reproject_raster(band, grid, resampling="bilinear")
        stack.append(band.data)
    optical = Raster(np.concatenate(stack), grid, None, S2_L2A_BANDS)
    try:
        check_same_grid(sar.grid, optical.grid, names=("S1", "S2"))
    except GridMismatchError as exc:
        raise type(exc)(f"BigEarthNet pair {s1_dir.name} / {s2_dir.name}: {exc}") from exc
    raw = _metadata(s2_dir).get("labels", [])
    labels = tuple(str(x) for x in raw) if isinstance(raw, list) else ()
    return BigEarthNetPair(sar, optical, labels, s1_dir.name, s2_dir.name)
