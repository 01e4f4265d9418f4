"""What a failure of GDAL, the operating system or torch means to the user, as a saropt error.

The command line calls :func:`explain_failure` on any exception that is not a
:class:`~saropt.errors.SaroptError`: the failures a user can fix (a damaged file, a full
disk, a folder without write permission, too little memory) become one named error;
anything else stays unexpected and is reported with a hint to rerun with ``--debug``.
"""

from __future__ import annotations

import errno

from rasterio.errors import CRSError, RasterioError, RasterioIOError

from saropt.errors import ConfigError, CorruptRasterError, SaroptError


class ResourceError(SaroptError, OSError):
    """The machine ran out of something the command needs (disk space, memory)."""


def explain_failure(exc: BaseException) -> SaroptError | None:
    """The saropt error ``exc`` stands for, or None when it is not a known user-side cause."""
    text = str(exc).strip().replace("\n", " ")
    if isinstance(exc, CRSError):
        return ConfigError(f"not a coordinate reference system GDAL knows ({text}); "
                           "give an EPSG code such as EPSG:32633")  # fmt: skip
    if isinstance(exc, RasterioIOError | RasterioError):
        return CorruptRasterError(f"GDAL could not read or write a raster ({text}); a file is "
                                  "probably truncated or damaged: copy it again")  # fmt: skip
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return ResourceError(f"out of memory ({text or 'MemoryError'}); use a smaller --tile "
                             "or --batch-size, or a machine with more memory")  # fmt: skip
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return ConfigError(f"{exc.filename or text} is a file where a folder is needed; choose "
                           "another output path")  # fmt: skip
    if isinstance(exc, IsADirectoryError):
        return ConfigError(f"{exc.filename or text} is a folder where a file is needed; choose "
                           "another path")  # fmt: skip
    if isinstance(exc, PermissionError):
        return ConfigError(f"permission denied: {exc.filename or text}; choose a path you can "
                           "write to (or read)")  # fmt: skip
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ResourceError(f"no space left on the device ({text}); free some or write elsewhere")
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return ConfigError(f"read-only file system ({text}); write elsewhere")
    return None
