"""Training configs a hostile but fair user writes: each is refused before any training, in
one line naming ConfigError and the key, with exit code 2, and nothing written; a value
YAML reads as a string but means a number (``lr: 1e-4``) is taken as that number."""

from __future__ import annotations

from pathlib import Path

import pytest

from saropt.cli.main import main
from tests.reliability.test_matrix import files_in, refused

TRAIN = ["cloud-removal", "translation", "urban", "registration", "classification"]

#: --set item -> the key the one line must name
BAD_SETS = {
    "trainer.max_epochs=-1": "trainer.max_epochs",
    "trainer.max_epochs=0": "trainer.max_epochs",
    "trainer.max_epochs=two": "trainer.max_epochs",
    "model.lr=abc": "model.lr",
    "data.batch_size=0": "data.batch_size",
    "model.no_such_key=1": "model.no_such_key",
}
#: further cases of the commands with such settings
GAN = {"model.gan_mode=wgan": "model.gan_mode", "data.patch_size=50": "data.patch_size",
       "data.bands=[B02,B99]": "data.bands", "data.patch_size=1024": "data.patch_size"}  # fmt: skip
BANDED = {"data.optical_bands=[B02,B99]": "data.optical_bands",
          "data.optical_bands=[B02,B02]": "data.optical_bands"}  # fmt: skip

SET_CASES = [(c, s) for c in TRAIN for s in BAD_SETS]
SET_CASES += [(c, s) for c in ("cloud-removal", "translation") for s in GAN if "bands" not in s
              or c == "cloud-removal"]  # fmt: skip
SET_CASES += [(c, s) for c in ("urban", "registration") for s in BANDED]
SET_CASES += [("urban", "data.patch_size=30")]

YAML_FILES = {
    "syntax": "trainer:\n  max_epochs: [1\n",
    "a_list": "- trainer\n- model\n",
    "a_scalar": "just words\n",
    "unknown_section": "trainers:\n  max_epochs: 1\n",
    "epochs_string": "trainer:\n  max_epochs: two\n",
    "lr_string": "model:\n  lr: abc\n",
}


@pytest.mark.parametrize(("command", "item"), SET_CASES)
def test_bad_setting_is_refused(
    command: str, item: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = {**BAD_SETS, **GAN, **BANDED}.get(item, item.split("=")[0])
    out = tmp_path / "run"
    line = refused(["train", command, "--out", out, "--set", item], ("ConfigError",), out, capsys)
    assert key in line and f"--set {item}" in line


@pytest.mark.parametrize("command", TRAIN)
@pytest.mark.parametrize("name", sorted(YAML_FILES))
def test_bad_config_file_is_refused(
    command: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / f"{name}.yaml"
    config.write_text(YAML_FILES[name])
    out = tmp_path / "run"
    line = refused(["train", command, "--out", out, "--config", config], ("ConfigError",), out,
                   capsys)  # fmt: skip
    assert str(config) in line


@pytest.mark.parametrize("command", TRAIN)
def test_missing_config_and_file_as_output_are_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    line = refused(["train", command, "--out", out, "--config", tmp_path / "nope.yaml"],
                   ("ConfigError",), out, capsys)  # fmt: skip
    assert "does not exist" in line
    out.write_text("not a folder")
    refused(["train", command, "--out", out], ("ConfigError",), tmp_path / "none", capsys)
    assert out.read_text() == "not a folder"


@pytest.mark.parametrize("command", TRAIN)
def test_lr_written_the_way_yaml_reads_as_a_string_is_a_number(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  lr: 1e-4\n")  # PyYAML reads 1e-4 (no dot) as a string
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["train", command, "--out", str(tmp_path / "run"), "--config", str(config),
              "--print-config"])  # fmt: skip
    assert stop.value.code in (0, None)
    assert "  lr: 0.0001\n" in capsys.readouterr().out
    assert files_in(tmp_path / "run") == []
