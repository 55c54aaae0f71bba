"""The VAE pair's sizes and video streams: what rebuilds a pair, saved beside its weights.

Its own module so that both video VAEs (models.vae, models.two_stream) read it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crossmodal.settings import defaults as d

if TYPE_CHECKING:
    from crossmodal.settings import RunSettings

#: What a config saved before a field existed meant by it: one stream, and weights saved
#: before where views existed all read the mask.
SAVED_BEFORE = {"video_streams": 1, "where_view": "mask"}


@dataclass(frozen=True)
class VAEConfig:
    """Sizes of the VAE pair; the defaults are those `crossmodal train` builds."""

    latent_dim: int = 16
    video_size: int = 32  # frames are S x S; see crossmodal.features.video.FEATURE_SIZE
    video_channels: int = d.VAE_VIDEO_CHANNELS
    audio_channels: int = d.VAE_AUDIO_CHANNELS
    video_sigma: float = 0.03  # Gaussian likelihood scale of input values in [0, 1]
    audio_sigma: float = 0.15  # ... of normalised log-mel values
    video_streams: int = d.VIDEO_STREAMS  # 2: where and what apart (models.two_stream)
    where_view: str = d.WHERE_VIEW  # what the two-stream where encoder reads (WHERE_VIEWS)

    @classmethod
    def saved(cls, values: dict[str, Any]) -> VAEConfig:
        """The config saved beside a pair's weights, read as it meant when it was written."""
        return cls(**{**SAVED_BEFORE, **values})

    @classmethod
    def of_run(cls, settings: RunSettings) -> VAEConfig:
        """The pair a run's settings train."""
        return cls(video_channels=settings.vae_video_channels,
                   audio_channels=settings.vae_audio_channels,
                   video_streams=settings.video_streams, where_view=settings.where_view)
