"""What every translator learns to say: the unshifted audio versions in canonical timing."""

from __future__ import annotations

import torch

from crossmodal.features.prepared import Prepared
from crossmodal.features.store import FEATURE_AUDIO

#: Target audio of the translators: the unshifted versions. Speed and pitch versions move the
#: formants; as targets they would only teach an average of shifted voices.
TARGET_AUDIO = tuple(FEATURE_AUDIO.index(v) for v in ("orig", "volume2"))


def target_logmels(prepared: Prepared) -> torch.Tensor:
    """(N, 2, 300, 64) canonical-timing target log-mels of the training clips."""
    return prepared.data["train"].canonical[:, list(TARGET_AUDIO)].float()
