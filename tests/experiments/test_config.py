"""Typed configs: every config file is its experiment's defaults, wrong types, unknown keys
and out-of-range values are one-line errors naming the key, type and file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.errors import ConfigError
from saropt.experiments.classification import ClassificationConfig
from saropt.experiments.cloud_removal import CloudRemovalConfig
from saropt.experiments.config import dump_config, load_config, parse_overrides
from saropt.experiments.hard_negatives import HardNegativeConfig
from saropt.experiments.keypoints import TranslateMatchConfig
from saropt.experiments.pairs import BinaryMatchConfig, DescriptorConfig
from saropt.experiments.registration import RegistrationConfig
from saropt.experiments.shift import RealShiftConfig, ShiftConfig
from saropt.experiments.translation import TranslationConfig
from saropt.experiments.urban import UrbanConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("cloud_removal_tiny.yaml", CloudRemovalConfig),
        ("translation_tiny.yaml", TranslationConfig),
        ("matching_shift_tiny.yaml", ShiftConfig),
        ("matching_real_shift.yaml", RealShiftConfig),
        ("matching_binary_tiny.yaml", BinaryMatchConfig),
        ("matching_descriptor_tiny.yaml", DescriptorConfig),
        ("matching_translate_sift_tiny.yaml", TranslateMatchConfig),
        ("matching_hard_negatives_tiny.yaml", HardNegativeConfig),
        ("urban_tiny.yaml", UrbanConfig),
        ("registration_tiny.yaml", RegistrationConfig),
    ],
)
def test_each_tiny_yaml_is_its_experiments_defaults(name: str, cls: type) -> None:
    assert load_config(cls, CONFIGS / name) == cls()


@pytest.mark.parametrize("setting", ["baseline", "C", "CM", "CT", "CTM"])
def test_each_classification_yaml_is_the_defaults_in_its_setting(setting: str) -> None:
    cfg = load_config(ClassificationConfig, CONFIGS / f"classification_{setting}.yaml")
    assert cfg == load_config(ClassificationConfig, overrides=[f"model.setting={setting}"])


def test_the_sen12ms_config_is_the_papers_network() -> None:
    cfg = load_config(ClassificationConfig, CONFIGS / "classification_sen12ms.yaml")
    assert (cfg.data.source, cfg.data.seasons, cfg.model.backbone) == (
        "sen12ms",
        ["winter"],
        "resnet50",
    )
    assert (cfg.model.width, cfg.model.latent, cfg.model.stem) == (64, 1024, "imagenet")


def test_the_urban_paper_config_is_the_papers_training() -> None:
    cfg = load_config(UrbanConfig, CONFIGS / "urban_paper.yaml")
    assert (cfg.model.width, cfg.model.lr, cfg.model.weight_decay) == (64, 1e-4, 0.01)
    assert (cfg.data.batch_size, cfg.trainer.max_epochs, cfg.data.source) == (8, 15, "gum")


def test_every_config_file_is_tested_above() -> None:
    tested = {p.name for p in CONFIGS.glob("*.yaml")} - {"cloud_removal_paper.yaml"}
    assert len(tested) == 10 + 6 + 1


def test_resolved_config_reads_back_equal(tmp_path: Path) -> None:
    cfg = load_config(TranslateMatchConfig, overrides=["matching.offsets=[[1, 2]]"])
    (tmp_path / "c.yaml").write_text(dump_config(cfg))
    assert load_config(TranslateMatchConfig, tmp_path / "c.yaml") == cfg
    assert cfg.matching.offsets == ((1, 2),)
    assert cfg.translation.model.gan_mode == "lsgan"  # Merkle et al.'s least squares


def test_overrides_are_read_as_yaml() -> None:
    assert parse_overrides(["a.b=3", "lr=1e-4", "m=[x]", "s = t"]) == {
        "a.b": 3,
        "lr": "1e-4",  # YAML 1.1: a string, which the typed check reads as a float
        "m": ["x"],
        "s": "t",
    }
    assert load_config(ShiftConfig, overrides=["model.lr=1e-4"]).model.lr == 1e-4
    with pytest.raises(ConfigError, match=r"key\.path=value"):
        parse_overrides(["epochs"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("model:\n  lr: abc\n", ["model.lr", "float", "abc"]),
        ("model:\n  widht: 3\n", ["model.widht", "unknown key"]),
        ("trainer:\n  max_epochs: -3\n", ["trainer.max_epochs", "int", "-3", "greater than 0"]),
        ("data:\n  bands: B01\n", ["data.bands", "tuple[str, ...]"]),
        ("model:\n  gan_mode: wgan\n", ["model.gan_mode", "Literal"]),
    ],
)
def test_bad_values_name_key_type_and_file(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(CloudRemovalConfig, path)
    for word in [*words, str(path)]:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("command", "text", "key"),
    [
        (["train", "cloud-removal"], "model:\n  lr: abc\n", "model.lr"),
        (["train", "translation"], "epochs: 3\n", "epochs"),
        (["match", "train", "shift"], "trainer:\n  max_epochs: -1\n", "trainer.max_epochs"),
    ],
)
def test_train_commands_exit_2_with_one_line(
    tmp_path: Path, command: list[str], text: str, key: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    args = [*command, "--config", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "run")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == EXIT_BAD_INPUT
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "ConfigError" in lines[0] and key in lines[0], res.output
    assert not (tmp_path / "run").exists()  # nothing written


def test_print_config_shows_the_resolved_config_and_runs_nothing(tmp_path: Path) -> None:
    args = ["train", "cloud-removal", "--out", str(tmp_path / "run"), "--print-config",
            "--set", "model.use_sar=false", "--set", "trainer.max_epochs=2"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    shown = yaml.safe_load(res.output)
    assert shown["model"]["use_sar"] is False and shown["trainer"]["max_epochs"] == 2
    assert not (tmp_path / "run").exists()
