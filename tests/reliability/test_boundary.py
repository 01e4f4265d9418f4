"""The command line's last line of defence: failures that are not saropt errors still end
in one line; those a user can act on (no space, no permission, a CRS GDAL does not know)
are named with exit code 2, anything else is exit code 1 with a hint to rerun with
``--debug``, which shows the traceback."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from rasterio.errors import CRSError

from tests.reliability.test_matrix import run


def _info_raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    import saropt.io.stats as stats

    def boom(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(stats, "band_statistics", boom)


@pytest.mark.parametrize(
    ("exc", "code", "name"),
    [
        (RuntimeError("something inside broke"), 1, "RuntimeError"),
        (KeyError("x"), 1, "KeyError"),
        (OSError(errno.ENOSPC, "No space left on device"), 2, "ResourceError"),
        (MemoryError(), 2, "ResourceError"),
        (PermissionError(errno.EACCES, "Permission denied", "/x"), 2, "ConfigError"),
        (CRSError("EPSG:999999 is unknown"), 2, "ConfigError"),
        (KeyboardInterrupt(), 130, "KeyboardInterrupt"),
    ],
)
def test_any_failure_is_one_line(
    exc: BaseException, code: int, name: str, good: dict[str, Path],
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _info_raising(monkeypatch, exc)
    got, err = run(["info", good["s2"]], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code and len(lines) == 1 and "Traceback" not in err
    assert f"({name})" in lines[0]
    assert ("--debug" in lines[0]) == (code == 1)


def test_debug_shows_the_traceback(
    good: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from saropt.cli.main import main

    _info_raising(monkeypatch, RuntimeError("something inside broke"))
    with pytest.raises(RuntimeError, match="inside broke"):
        main(["--debug", "info", str(good["s2"])])
    got, _ = run(["info", str(good["s2"])], capsys)  # the next run is quiet again
    assert got == 1
