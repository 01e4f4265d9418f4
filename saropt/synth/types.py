"""What a generated scene is: its classes, their spectra and backscatter, its settings and
its layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from shapely.geometry import LineString, Polygon

from saropt.io.grid import Grid


class LandCover(IntEnum):
    """Land-cover classes of generated scenes (0 is nodata)."""

    NODATA = 0
    WATER = 1
    FOREST = 2
    GRASS_CROP = 3
    BARE_SOIL = 4
    URBAN = 5


#: Top-of-atmosphere-like reflectance per class in :data:`S2_BANDS` order (B01..B12).
CLASS_SPECTRA: dict[LandCover, tuple[float, ...]] = {
    LandCover.WATER: (0.060, 0.050, 0.045, 0.028, 0.022, 0.016, 0.012, 0.010, 0.009,
                      0.004, 0.001, 0.004, 0.003),
    LandCover.FOREST: (0.025, 0.028, 0.050, 0.028, 0.085, 0.220, 0.280, 0.300, 0.310,
                       0.180, 0.003, 0.150, 0.070),
    LandCover.GRASS_CROP: (0.035, 0.045, 0.085, 0.060, 0.130, 0.290, 0.350, 0.390, 0.400,
                           0.240, 0.004, 0.220, 0.110),
    LandCover.BARE_SOIL: (0.090, 0.110, 0.150, 0.190, 0.210, 0.230, 0.250, 0.260, 0.270,
                          0.170, 0.006, 0.340, 0.290),
    LandCover.URBAN: (0.110, 0.115, 0.125, 0.135, 0.145, 0.155, 0.165, 0.170, 0.175,
                      0.110, 0.005, 0.190, 0.170),
}  # fmt: skip


#: Roof and asphalt spectra used inside towns and along roads.
ROOF_SPECTRA: tuple[tuple[float, ...], ...] = (
    (0.14, 0.15, 0.17, 0.22, 0.24, 0.25, 0.26, 0.27, 0.27, 0.17, 0.006, 0.30, 0.26),  # tiles
    (0.18, 0.20, 0.22, 0.23, 0.24, 0.24, 0.25, 0.25, 0.25, 0.16, 0.006, 0.26, 0.23),  # grey
)


ROAD_SPECTRUM: tuple[float, ...] = (
    0.08, 0.085, 0.09, 0.10, 0.105, 0.11, 0.115, 0.12, 0.12, 0.08, 0.004, 0.13, 0.12
)  # fmt: skip


#: Additive path radiance (Rayleigh and aerosol), strongest at short wavelengths.
PATH_RADIANCE: tuple[float, ...] = (
    0.080, 0.055, 0.030, 0.015, 0.012, 0.010, 0.008, 0.006, 0.006, 0.004, 0.0, 0.002, 0.001
)  # fmt: skip


#: Mean Sentinel-1 backscatter (VV, VH) in dB per class at the reference incidence.
CLASS_BACKSCATTER_DB: dict[LandCover, tuple[float, float]] = {
    LandCover.WATER: (-21.0, -28.0),
    LandCover.FOREST: (-7.5, -13.0),
    LandCover.GRASS_CROP: (-11.0, -18.0),
    LandCover.BARE_SOIL: (-13.0, -21.0),
    LandCover.URBAN: (-5.0, -13.0),
}


#: Extra (VV, VH) dB of building pixels: dihedral double bounce between wall and ground.
BUILDING_DOUBLE_BOUNCE_DB: tuple[float, float] = (7.0, 2.0)


#: (VV, VH) backscatter of asphalt roads in dB (specular, dark).
ROAD_BACKSCATTER_DB: tuple[float, float] = (-17.0, -24.0)


#: Noise-equivalent sigma nought of Sentinel-1 IW, in dB.
NESZ_DB = -24.0


NESZ_LINEAR = 10.0 ** (NESZ_DB / 10.0)


@dataclass(frozen=True)
class SceneConfig:
    """Parameters of a generated scene.

    Attributes:
        height: Rows (pixels).
        width: Columns (pixels).
        seed: Seed; the same seed gives the same scene, byte for byte.
        dates: Number of Sentinel-1 acquisitions (independent speckle; crops change).
        looks: Equivalent number of looks of one acquisition's speckle (S1 IW GRDH: ~4.4).
        resolution: Pixel size in metres.
        crs: A UTM CRS.
        west: Easting of the left edge.
        north: Northing of the top edge.
        relief: Elevation range of the terrain in metres.
        incidence: Radar incidence angle in degrees.
        first_date: Date of the first acquisition; the others follow every 12 days.
    """

    height: int = 1024
    width: int = 1024
    seed: int = 0
    dates: int = 4
    looks: float = 4.4
    resolution: float = 10.0
    crs: str = "EPSG:32633"
    west: float = 500000.0
    north: float = 5100000.0
    relief: float = 600.0
    incidence: float = 37.0
    first_date: str = "2021-06-01"

    def grid(self) -> Grid:
        """The scene's pixel grid."""
        return Grid.from_origin(
            self.crs, self.west, self.north, self.resolution, self.width, self.height
        )


@dataclass
class Scene:
    """A generated scene; every raster is on ``grid``.

    Attributes:
        config: What made it.
        grid: Pixel grid (UTM, ``resolution`` metres).
        landcover: :class:`LandCover` codes, uint8, (H, W).
        urban: 1 where land cover is urban, uint8, (H, W).
        dem: Elevation in metres, float32, (H, W).
        optical: Sentinel-2-like digital numbers (reflectance x 10000), uint16, (13, H, W).
        sar: Sentinel-1-like backscatter in dB with speckle, float32, (T, 2, H, W).
        sar_clean: The same without speckle (the expected backscatter), float32,
            (T, 2, H, W).
        radar_geometry: 0 normal, 1 layover, 2 radar shadow, uint8, (H, W).
        buildings: Building footprints in map coordinates.
        roads: (line, highway class) pairs in map coordinates; width in metres in
            :data:`ROAD_WIDTHS`.
        dates: ISO dates of the SAR acquisitions.
    """

    config: SceneConfig
    grid: Grid
    landcover: np.ndarray
    urban: np.ndarray
    dem: np.ndarray
    optical: np.ndarray
    sar: np.ndarray
    sar_clean: np.ndarray
    radar_geometry: np.ndarray
    buildings: list[Polygon] = field(default_factory=list)
    roads: list[tuple[LineString, str]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)


#: Carriageway width in metres per road class.
ROAD_WIDTHS: dict[str, float] = {"primary": 12.0, "residential": 8.0}
