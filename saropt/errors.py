"""Named exceptions of saropt.

Every error says what was expected, what was found and how to fix it. Each subclasses a
built-in exception, so callers that already catch ``ValueError`` or ``FileNotFoundError``
keep working, and the CLI turns any :class:`SaroptError` into a one-line message and a
non-zero exit code without a traceback.
"""

from __future__ import annotations


class SaroptError(Exception):
    """Base class of every error saropt raises on purpose."""


class InputNotFoundError(SaroptError, FileNotFoundError):
    """An input path does not exist."""


class RasterNotFoundError(InputNotFoundError):
    """An input raster path does not exist."""


class NotARasterError(SaroptError, ValueError):
    """A file exists but GDAL does not recognise it as a raster."""


class InvalidVectorError(SaroptError, ValueError):
    """A file that should hold vector features cannot be read as such."""


class CorruptRasterError(SaroptError, ValueError):
    """A raster opens but its pixels cannot be read (truncated or damaged file)."""


class BandCountError(SaroptError, ValueError):
    """A raster has a different number of bands than the operation needs."""


class GridMismatchError(SaroptError, ValueError):
    """Two rasters that must share a pixel grid do not (resolution, shape or bounds)."""


class CRSMismatchError(GridMismatchError):
    """Two rasters that must share a coordinate reference system do not."""


class AllNodataError(SaroptError, ValueError):
    """Every pixel of an input is nodata, so there is nothing to process."""


class InvalidValueError(SaroptError, ValueError):
    """An input holds values that are not allowed there (NaN, infinity, out of range)."""


class ScaleError(InvalidValueError):
    """An input's values are in other units than the operation takes (8-bit display
    values for reflectance, linear power for dB)."""


class ConfigError(SaroptError, ValueError):
    """An option or configuration value is invalid."""


class WeightsError(ConfigError):
    """A weights file is not one saropt wrote for the model it names (damaged or foreign
    header, other tensors, another model's weights)."""


class NoOverlapError(GridMismatchError):
    """Two rasters that must cover a common area do not overlap at all."""


class JobsFailedError(SaroptError, RuntimeError):
    """Some jobs of a batch (database tiles, scenes) failed after their retries; the others
    finished, and a rerun tries only the failed ones again.

    Attributes:
        failed: Job id -> its last error ("Type: message").
    """

    def __init__(self, what: str, failed: dict[str, str]) -> None:
        self.failed = dict(failed)
        shown = "; ".join(f"{k} ({v})" for k, v in list(self.failed.items())[:5])
        more = f"; and {len(self.failed) - 5} more" if len(self.failed) > 5 else ""
        super().__init__(
            f"{len(self.failed)} {what} failed: {shown}{more}. The rest are done; fix the cause "
            "and rerun the same command to retry only these"
        )
