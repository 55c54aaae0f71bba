"""A run's settings without torch: the defaults (defaults), the allowed values and their
checks (choices), RunSettings (run), named presets (presets), and config files and
`--set key=value` (sources)."""

from crossmodal.settings.presets import PRESETS
from crossmodal.settings.run import RUN_FILE, RunSettings
from crossmodal.settings.sources import apply_sets, compose, load_config

__all__ = ["PRESETS", "RUN_FILE", "RunSettings", "apply_sets", "compose", "load_config"]
