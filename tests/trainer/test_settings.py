"""The settings' metadata is the one place a setting is described: the command line's flags
come from it, and the backbones' and objectives' `uses` name real settings."""

import pytest

import main
from models import BACKBONES, OBJECTIVES, ModelConfig
from trainer import recipes
from trainer.config import GROUPS, TrainConfig, settings


def test_uses_and_fixed_name_real_settings():
    names = {s.name for s in settings()}
    for registry in (BACKBONES, OBJECTIVES):
        for key, cls in registry.items():
            assert set(cls.uses) <= names, key
            assert set(getattr(cls, "fixed", {})) <= names, key


def test_every_setting_is_a_train_flag_with_its_help_and_default(capsys):
    parser = main.build_parser()
    args = parser.parse_args(["train", "--out", "x.safetensors"])
    for s in settings():
        value = getattr(args, s.name)
        assert value is None if s.name in recipes.FIELDS else value == s.default, s.name
    with pytest.raises(SystemExit):
        main.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for s in settings():
        assert s.flag in text and " ".join(s.help.split())[:40] in text, s.name
    assert [s.group for s in settings()] == sorted((s.group for s in settings()), key=GROUPS.index)


def test_settings_cover_every_field_but_the_image_shape():
    chosen = {s.name for s in settings()}
    fields = set(TrainConfig().to_dict()) | set(ModelConfig().to_dict())
    assert chosen == fields - {"input_shape"}
