"""The README's promise, command by command: every bad input, output path, weights file,
device and config below stops the real entry point (``saropt.cli.main.main``) with exit
code 2 and one line on stderr that names the error class, no traceback, and nothing left
in the output location; an input named as the output is left byte for byte as it was.

Each command also runs once on the good inputs (exit 0), so a refusal below is the bad
input's doing, not a broken command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from saropt.cli.main import main
from tests.reliability import world as w

Paths = dict[str, Path]
Argv = Callable[[Paths, Path], list[str]]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of ``saropt ARGV`` run in this process."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in argv])
    code = stop.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def files_in(folder: Path) -> list[Path]:
    """Every file under ``folder``, hidden ones too."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def refused(
    argv: list[str], errors: tuple[str, ...], out: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """Assert the promise for one run; returns the error line."""
    code, err = run(argv, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert any(f"({e})" in lines[0] for e in errors), lines[0]
    assert files_in(out) == [], files_in(out)
    return lines[0]


# ---- the commands: how each is called, and which of its options take which input -------

COMMANDS: dict[str, Argv] = {
    "decloud": lambda p, o: ["decloud", "--optical", p["s2"], "--sar", p["s1"], "--mask",
                             p["mask"], "--weights", p["w_decloud"], "--out", o / "o.tif",
                             "--tile", "64", "--overlap", "8"],
    "translate": lambda p, o: ["translate", "--input", p["s2"], "--weights", p["w_translate"],
                               "--out", o / "o.tif", "--tile", "64", "--overlap", "8"],
    "classify": lambda p, o: ["classify", "--s1", p["s1"], "--s2", p["s2"], "--weights",
                              p["w_classify"], "--out", o / "o.tif", "--stride", "16"],
    "urban": lambda p, o: ["urban", "--s1", p["s1"], "--s2", p["s2_4"], "--weights",
                           p["w_urban"], "--out", o / "o.tif", "--tile", "64"],
    "register": lambda p, o: ["register", "--fixed", p["s1"], "--moving", p["s2_4"],
                              "--method", "phase", "--out", o / "o.tif", "--tile", "64",
                              "--overlap", "8"],
    "tiepoints": lambda p, o: ["match", "tiepoints", "--sar", p["s1"], "--optical", p["s2"],
                               "--weights", p["w_tiepoints"], "--out", o, "--step", "24",
                               "--min-confidence", "0", "--min-peak-ratio", "0"],
    "eval": lambda p, o: ["match", "eval", "--weights", p["w_tiepoints"], "--out", o,
                          "--scene-size", "128"],
    "batch": lambda p, o: ["batch", "decloud", "--scenes", p["scenes"], "--weights",
                           p["w_decloud"], "--out", o, "--tile", "64"],
    "clouds": lambda p, o: ["clouds", p["s2"], o / "o.tif", "--coverage", "0.3", "--mask",
                            o / "mask.tif"],
    "db": lambda p, o: ["db", "build", "--out", o, "--s1", p["s1"], "--s2", p["s2"], "--dem",
                        p["dem"], "--tile-size", "64"],
}  # fmt: skip

#: command -> {input key in the world: (its kind, whether it shares the command's grid)}
ROLES: dict[str, dict[str, tuple[str, bool]]] = {
    "decloud": {"s2": ("optical", True), "s1": ("sar", True), "mask": ("mask", True)},
    "translate": {"s2": ("optical", False)},
    "classify": {"s1": ("sar", True), "s2": ("optical", True)},
    "urban": {"s1": ("sar", True), "s2_4": ("optical", True)},
    "register": {"s1": ("any", False), "s2_4": ("any", False)},  # resampled onto one grid
    "tiepoints": {"s1": ("sar", False), "s2": ("optical", False)},
    "db": {"s1": ("any", False), "s2": ("any", False), "dem": ("any", False)},
    "clouds": {"s2": ("any", False)},
}

#: bad input -> the error classes its one line may name
FILE_PROBLEMS: dict[str, tuple[Callable[[Path, Path], Path], tuple[str, ...]]] = {
    "missing": (w.missing, ("RasterNotFoundError", "InputNotFoundError")),
    "directory": (w.directory, ("NotARasterError",)),
    "empty": (w.empty, ("NotARasterError",)),
    "text": (w.text, ("NotARasterError",)),
    "truncated": (w.truncated, ("CorruptRasterError", "NotARasterError")),
    "all_nodata": (w.all_nodata, ("AllNodataError",)),
    "nan_patch": (w.nan_patch, ("InvalidValueError",)),
    "inf_patch": (w.inf_patch, ("InvalidValueError",)),
}
BAND_PROBLEM = (w.extra_band, ("BandCountError",))
GRID_PROBLEMS = {
    "other_crs": (w.other_crs, ("CRSMismatchError",)),
    "other_grid": (w.other_grid, ("GridMismatchError",)),
}
SCALE_PROBLEMS = {
    "optical": ("eight_bit", w.eight_bit, ("ScaleError",)),
    "sar": ("linear_sar", w.linear_sar, ("ScaleError",)),
}


def _input_cases() -> list[tuple[str, str, str]]:
    cases = []
    for command, roles in ROLES.items():
        for key, (kind, gridded) in roles.items():
            problems = list(FILE_PROBLEMS)
            if command not in ("register", "db", "clouds"):  # these take any band count
                problems.append("extra_band")
            if gridded:
                problems += list(GRID_PROBLEMS)
            if command == "tiepoints":
                problems.append("other_crs")
            if kind in SCALE_PROBLEMS:
                problems.append(SCALE_PROBLEMS[kind][0])
            cases += [(command, key, problem) for problem in problems]
    return cases


def _problem(name: str) -> tuple[Callable[[Path, Path], Path], tuple[str, ...]]:
    if name == "extra_band":
        return BAND_PROBLEM
    if name in GRID_PROBLEMS:
        return GRID_PROBLEMS[name]
    scale = {p: (f, e) for p, f, e in SCALE_PROBLEMS.values()}
    return scale[name] if name in scale else FILE_PROBLEMS[name]


INPUT_CASES = _input_cases()


def test_the_matrix_is_large_enough() -> None:
    assert len(INPUT_CASES) >= 150


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_good_inputs_run(
    command: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(COMMANDS[command](good, tmp_path / "out"), capsys)
    assert code == 0, err
    assert files_in(tmp_path / "out")


@pytest.mark.parametrize(("command", "key", "problem"), INPUT_CASES)
def test_bad_input_is_refused(
    command: str, key: str, problem: str, good: Paths, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    make, errors = _problem(problem)
    (tmp_path / "bad").mkdir()
    paths = {**good, key: make(good[key], tmp_path / "bad")}
    out = tmp_path / "out"
    refused(COMMANDS[command](paths, out), errors, out, capsys)


# ---- outputs ------------------------------------------------------------------------

WHOLE_SCENE = ["decloud", "translate", "classify", "urban", "register"]


@pytest.mark.parametrize("command", WHOLE_SCENE)
def test_output_equal_to_an_input_is_refused_and_the_input_kept(
    command: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = "s1" if command in ("classify", "urban", "register") else "s2"
    victim = Path(w.copy_of(good[first], tmp_path))
    before = victim.read_bytes()
    argv = COMMANDS[command]({**good, first: victim}, tmp_path / "unused")
    argv[argv.index("--out") + 1] = str(victim)
    line = refused(argv, ("ConfigError",), tmp_path / "unused", capsys)
    assert "destroy the input" in line
    assert victim.read_bytes() == before


@pytest.mark.parametrize("command", WHOLE_SCENE)
@pytest.mark.parametrize("where", ["directory", "under_a_file"])
def test_output_that_cannot_be_a_file_is_refused(
    command: str, where: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = COMMANDS[command](good, tmp_path / "out")
    target = tmp_path / "out" / "o.tif"
    if where == "directory":
        target.mkdir(parents=True)
    else:
        (tmp_path / "out").write_text("a file where a folder should be")
    refused(argv, ("ConfigError",), tmp_path / "empty", capsys)
    assert target.is_dir() if where == "directory" else (tmp_path / "out").is_file()
    if where == "directory":
        assert not any(target.iterdir())
    else:
        assert (tmp_path / "out").read_text() == "a file where a folder should be"


@pytest.mark.parametrize("command", ["tiepoints", "db"])
def test_output_folder_that_is_a_file_is_refused(
    command: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.write_text("keep me")
    refused(COMMANDS[command](good, out), ("ConfigError",), tmp_path / "none", capsys)
    assert out.read_text() == "keep me"


def test_tiepoints_never_leaves_half_its_outputs(
    good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "corrected.tif").mkdir(parents=True)  # the last output cannot be written
    refused(COMMANDS["tiepoints"](good, out), ("ConfigError",), out / "corrected.tif", capsys)
    assert sorted(p.name for p in out.iterdir()) == ["corrected.tif"]


# ---- weights ------------------------------------------------------------------------

WEIGHTS_PROBLEMS: dict[str, Callable[[Path, Path], Path]] = {
    "missing": w.missing,
    "not_safetensors": w.not_safetensors,
    "bad_json": w.bad_json,
    "header_list": w.header_list,
    "extra_kwarg": w.extra_kwarg,
    "wrong_type": w.wrong_type,
    "huge_width": w.huge_width,
    "unknown_model": w.unknown_model,
    "other_tensors": w.other_tensors,
}
LOADERS = ["decloud", "translate", "classify", "urban", "tiepoints", "eval", "batch"]
WEIGHTS_OF = {"eval": "tiepoints", "batch": "decloud"}


@pytest.mark.parametrize("command", LOADERS)
@pytest.mark.parametrize("problem", sorted(WEIGHTS_PROBLEMS))
def test_hostile_weights_are_refused_before_a_model_is_built(
    command: str, problem: str, good: Paths, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import saropt.models.weights as weights

    built: list[str] = []
    real = weights.load_file
    monkeypatch.setattr(weights, "load_file", lambda *a, **k: built.append("read") or real(*a, **k))
    key = f"w_{WEIGHTS_OF.get(command, command)}"
    bad = WEIGHTS_PROBLEMS[problem](good[key], tmp_path)
    out = tmp_path / "out"
    errors = ("InputNotFoundError",) if problem == "missing" else ("WeightsError",)
    refused(COMMANDS[command]({**good, key: bad}, out), errors, out, capsys)
    assert built == []  # no tensor was read, nothing allocated for the header's model


def test_another_commands_weights_are_named(
    good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    line = refused(
        COMMANDS["decloud"]({**good, "w_decloud": good["w_urban"]}, out), ("ConfigError",), out,
        capsys,
    )  # fmt: skip
    assert "not a cloud-removal generator" in line


# ---- devices and options --------------------------------------------------------------

DEVICES = ["banana", "cuda:7"] + ([] if torch.cuda.is_available() else ["cuda"])


@pytest.mark.parametrize("command", ["decloud", "translate", "classify", "urban", "register"])
@pytest.mark.parametrize("device", DEVICES)
def test_a_device_this_machine_lacks_is_refused(
    command: str, device: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    line = refused([*COMMANDS[command](good, out), "--device", device], ("BadParameter",), out,
                   capsys)  # fmt: skip
    assert device in line


@pytest.mark.parametrize(
    "extra",
    [["--tile", "2"], ["--overlap", "-1"], ["--batch-size", "0"], ["--no-such-option"]],
)
def test_out_of_range_options_are_one_line(
    extra: list[str], good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    refused([*COMMANDS["decloud"](good, out), *extra], ("BadParameter", "NoSuchOption"), out,
            capsys)  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [["--resolution", "0"], ["--resolution", "-10"], ["--crs", "EPSG:999999"],
     ["--tile-size", "4"], ["--osm", "TEXT"]],
)  # fmt: skip
def test_bad_database_settings_are_refused(
    extra: list[str], good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "TEXT" in extra:
        (tmp_path / "city.osm").write_text("not osm")
        extra = ["--osm", str(tmp_path / "city.osm")]
    out = tmp_path / "db"
    refused([*COMMANDS["db"](good, out), *extra],
            ("ConfigError", "BadParameter", "InvalidVectorError"), out, capsys)  # fmt: skip


# ---- databases that are damaged -------------------------------------------------------


@pytest.fixture(scope="session")
def built_db(good: Paths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("db") / "db"
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in COMMANDS["db"](good, out)])
    assert stop.value.code in (0, None)
    return out


@pytest.mark.parametrize("damage", ["plan_json", "truncated_tile", "no_index"])
def test_db_info_names_a_damaged_database(
    damage: str, built_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    db = Path(shutil.copytree(built_db, tmp_path / "db"))
    tile = sorted((db / "tiles").iterdir())[0]
    if damage == "plan_json":
        (db / "database.json").write_text("{bad")
    elif damage == "truncated_tile":
        (tile / "s2.tif").write_bytes((tile / "s2.tif").read_bytes()[:900])
    else:
        (db / "index.csv").unlink()
    errors = {"plan_json": "ConfigError", "truncated_tile": "CorruptRasterError",
              "no_index": "InputNotFoundError"}  # fmt: skip
    refused(["db", "info", db, "--quicklook", tmp_path / "q" / "q.png"], (errors[damage],),
            tmp_path / "q", capsys)  # fmt: skip


@pytest.mark.parametrize(
    ("content", "error"),
    [(None, "InputNotFoundError"), ("", "ConfigError"), ("id,optical,sar\n", "ConfigError"),
     ("name,optical\na,s2.tif\n", "ConfigError"), ("id,optical\n../x,s2.tif\n", "ConfigError"),
     (b"\x89PNG\x00\x80", "ConfigError")],
)  # fmt: skip
def test_bad_scene_lists_are_refused(
    content: str | bytes | None, error: str, good: Paths, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    scenes = tmp_path / "scenes.csv"
    if isinstance(content, bytes):
        scenes.write_bytes(content)
    elif content is not None:
        scenes.write_text(content)
    out = tmp_path / "out"
    refused(COMMANDS["batch"]({**good, "scenes": scenes}, out), (error,), out, capsys)


@pytest.mark.parametrize("command", [*WHOLE_SCENE, "tiepoints", "db"])
def test_an_output_folder_without_write_permission_is_refused(
    command: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import saropt.io.atomic as atomic

    locked = tmp_path / "locked"
    locked.mkdir()
    # the tests run as root, whom chmod does not stop: the check is what is tested
    monkeypatch.setattr(atomic.os, "access", lambda p, mode: Path(p) != locked)
    line = refused(COMMANDS[command](good, locked / "out"), ("ConfigError",), locked, capsys)
    assert "permission denied" in line


@pytest.mark.parametrize("which", ["output", "mask"])
def test_clouds_never_overwrites_its_input(
    which: str, good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = Path(w.copy_of(good["s2"], tmp_path))
    before = victim.read_bytes()
    out = tmp_path / "out"
    argv = COMMANDS["clouds"]({**good, "s2": victim}, out)
    argv[2 if which == "output" else argv.index("--mask") + 1] = str(victim)
    refused(argv, ("ConfigError",), out, capsys)
    assert victim.read_bytes() == before


def test_a_database_with_no_tile_above_min_valid_is_refused_and_leaves_nothing(
    good: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from saropt.io.raster import read_raster
    from saropt.io.write import write_raster

    s2 = read_raster(good["s2"])
    holes = s2.data.copy()
    holes[:, ::8, ::8] = 0  # a nodata pixel in every tile: none is 100 % valid
    sparse = write_raster(tmp_path / "s2.tif", s2.with_data(holes))
    out = tmp_path / "db"
    argv = [*COMMANDS["db"]({**good, "s2": sparse}, out), "--min-valid", "1.0"]
    line = refused(argv, ("AllNodataError",), out, capsys)
    assert "--min-valid" in line and not out.exists()


@pytest.mark.parametrize(
    "argv", [["synth", "--size", "64", "--out"], ["demo", "--size", "64", "--out"]]
)
def test_a_file_where_an_output_folder_goes_is_named(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.write_text("keep me")
    line = refused([*argv, out], ("ConfigError",), tmp_path / "none", capsys)
    assert "is a file where a folder is needed" in line and out.read_text() == "keep me"
