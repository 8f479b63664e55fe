"""Operations: the question log of what users asked (questionlog/) and the masking of personal data in it."""

from bot.ops.masking import mask_pii

__all__ = ["mask_pii"]
