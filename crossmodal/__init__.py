"""Video-to-speech translation through disentangled latent spaces."""

__version__ = "0.1.0"
