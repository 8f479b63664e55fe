"""Question log: what users asked and how it was answered, masked, for staff review."""

from bot.ops.questionlog.schema import QuestionLogUnavailable, hash_client, normalise_question
from bot.ops.questionlog.writer import QuestionLog

__all__ = ["QuestionLog", "QuestionLogUnavailable", "hash_client", "normalise_question"]
