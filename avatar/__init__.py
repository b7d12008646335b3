"""avatar: speech in, ARKit facial animation (and, later, a talking portrait) out."""

__version__ = "0.1.0"
