"""Land-cover nomenclatures of the classification sources, and soft labels from them.

A soft label is a patch's class-occurrence histogram (Senchugova and Hänsch): the share of
each class among the patch's labelled pixels. Multi-label sources without pixel labels
(BigEarthNet) give the multi-hot vector scaled to sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Classes of generated scenes, in the order of their codes 1..5 (0 is nodata).
GENERATED_CLASSES: tuple[str, ...] = ("water", "forest", "grass_crop", "bare_soil", "urban")

#: Classes of a database's OSM class raster, codes 0..4 (``OsmClass``; 0: no OSM feature).
OSM_CLASSES: tuple[str, ...] = ("none", "vegetation", "water", "road", "building")

#: The simplified IGBP scheme of the 2020 IEEE GRSS Data Fusion Contest (Yokoya et al.),
#: codes 1..10.
DFC_CLASSES: tuple[str, ...] = (
    "forest", "shrubland", "savanna", "grassland", "wetlands", "croplands", "urban",
    "snow_ice", "barren", "water",
)  # fmt: skip

#: MODIS IGBP code (index 0..17; 0 unused) -> simplified DFC code (0: nodata). Forests
#: 1-5 -> forest, shrublands 6-7, savannas 8-9, grassland 10, wetlands 11, croplands 12
#: and the cropland mosaic 14 -> croplands, urban 13, snow and ice 15, barren 16, water 17.
IGBP_TO_DFC: np.ndarray = np.array(
    [0, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 6, 8, 9, 10], dtype=np.int64
)

#: The DFC classes the paper's nine-class setting keeps: savanna is left out (our reading of
#: "nine different classes"; the paper does not name the class it drops).
DFC_NINE: tuple[str, ...] = tuple(c for c in DFC_CLASSES if c != "savanna")

#: BigEarthNet's 19-class nomenclature (Sumbul et al., "BigEarthNet deep learning models
#: with a new class-nomenclature for remote sensing image understanding", 2020) and the
#: CORINE level-3 labels of the archive that each one gathers (11 of its 43 have none).
BIGEARTHNET19: dict[str, tuple[str, ...]] = {
    "Urban fabric": ("Continuous urban fabric", "Discontinuous urban fabric"),
    "Industrial or commercial units": ("Industrial or commercial units",),
    "Arable land": ("Non-irrigated arable land", "Permanently irrigated land", "Rice fields"),
    "Permanent crops": (
        "Vineyards",
        "Fruit trees and berry plantations",
        "Olive groves",
        "Annual crops associated with permanent crops",
    ),
    "Pastures": ("Pastures",),
    "Complex cultivation patterns": ("Complex cultivation patterns",),
    "Land principally occupied by agriculture, with significant areas of natural vegetation": (
        "Land principally occupied by agriculture, with significant areas of natural vegetation",
    ),
    "Agro-forestry areas": ("Agro-forestry areas",),
    "Broad-leaved forest": ("Broad-leaved forest",),
    "Coniferous forest": ("Coniferous forest",),
    "Mixed forest": ("Mixed forest",),
    "Natural grassland and sparsely vegetated areas": (
        "Natural grassland",
        "Sparsely vegetated areas",
    ),
    "Moors, heathland and sclerophyllous vegetation": (
        "Moors and heathland",
        "Sclerophyllous vegetation",
    ),
    "Transitional woodland, shrub": ("Transitional woodland/shrub",),
    "Beaches, dunes, sands": ("Beaches, dunes, sands",),
    "Inland wetlands": ("Inland marshes", "Peatbogs"),
    "Coastal wetlands": ("Salt marshes", "Salines"),
    "Inland waters": ("Water courses", "Water bodies"),
    "Marine waters": ("Coastal lagoons", "Estuaries", "Sea and ocean"),
}


def class_histogram(codes: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Share of each class code among the pixels that carry one of ``classes``.

    Returns:
        (len(classes),) float32 summing to 1, or all zeros when no pixel is labelled.
    """
    flat = np.asarray(codes).ravel().astype(np.int64)
    counts = np.array([(flat == c).sum() for c in classes], dtype=np.float64)
    total = counts.sum()
    return (counts / total if total > 0 else counts).astype(np.float32)


def bigearthnet19_label(labels: Sequence[str]) -> np.ndarray:
    """The 19-class multi-hot vector of a patch's CORINE labels, scaled to sum to 1 (all
    zeros when none of its labels has a 19-class counterpart)."""
    hot = np.array(
        [any(lab in olds for lab in labels) for olds in BIGEARTHNET19.values()], np.float32
    )
    return hot / hot.sum() if hot.sum() else hot
