"""Where a run's settings come from: the defaults, then a preset, a config file and
`--set key=value`, each over the one before, then the command's own arguments."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from pathlib import Path

import yaml

from crossmodal.errors import CrossmodalError
from crossmodal.settings.presets import preset
from crossmodal.settings.run import RunSettings

TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_NAMES = {str: "text", int: "an integer", float: "a number", bool: "true or false"}


def field_types() -> dict[str, type]:
    """Each RunSettings field and its type (str, int, float or bool)."""
    return typing.get_type_hints(RunSettings)


def _known(key: str, where: str) -> type:
    types = field_types()
    if key not in types:
        close = difflib.get_close_matches(key, types, n=1)
        hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(types)}"
        raise CrossmodalError(f"unknown setting {key!r} in {where}; {hint}")
    return types[key]


def _typed(key: str, value: object, where: str) -> object:
    """A config file's value checked against its field's type (YAML already typed it)."""
    kind = _known(key, where)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise CrossmodalError(f"{where}: {key} takes {_NAMES[kind]}, got {value!r}")


def _parsed(key: str, text: str, where: str) -> object:
    """A `--set` value parsed by its field's type."""
    kind = _known(key, where)
    if kind is bool:
        if text.lower() not in TRUE + FALSE:
            raise CrossmodalError(f"{where}: {key} takes {_NAMES[bool]}, got {text!r}")
        return text.lower() in TRUE
    try:
        return kind(text)
    except ValueError:
        raise CrossmodalError(f"{where}: {key} takes {_NAMES[kind]}, got {text!r}") from None


def load_config(path: str | Path) -> dict[str, object]:
    """RunSettings values from a YAML or JSON file of `setting: value` (a run's run.json is
    one); every key must be a setting and every value of its type."""
    path = Path(path)
    if not path.is_file():
        raise CrossmodalError(f"no config file at {path}")
    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CrossmodalError(f"{path} is not YAML or JSON: {' '.join(str(exc).split())}"
                              ) from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise CrossmodalError(f"{path} must hold a mapping of setting: value, "
                              f"got {type(values).__name__}")
    return {str(k): _typed(str(k), v, str(path)) for k, v in values.items()}


def apply_sets(sets: Iterable[str]) -> dict[str, object]:
    """`key=value` strings as RunSettings values, each parsed by its field's type."""
    values: dict[str, object] = {}
    for item in sets:
        key, equals, text = item.partition("=")
        if not equals or not key.strip():
            raise CrossmodalError(f"--set takes key=value, got {item!r}")
        key = key.strip()
        values[key] = _parsed(key, text.strip(), f"--set {item}")
    return values


def compose(data: str | Path, preset_name: str = "full", config: str | Path | None = None,
            sets: Iterable[str] = (), **given: object) -> RunSettings:
    """The defaults < the preset < the config file < `--set` < `given` (a command's own
    options; None means not given). DATA is the command's argument, whatever a file says."""
    values = preset(preset_name)
    if config is not None:
        values.update(load_config(config))
    values.update(apply_sets(sets))
    values.update({k: v for k, v in given.items() if v is not None})
    values["data"] = str(data)
    return RunSettings(**values)  # type: ignore[arg-type]
