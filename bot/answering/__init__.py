"""Answering: read the question's wording, route it, decide answerability, compose a quoted answer.

`PolicyBot` (pipeline.py) is the one service object the API, the CLI and the eval runner call. It is
imported on first use so that the light parts (types, cues) can be used without the model stack."""

from bot.answering.types import KINDS, SYSTEMS, Answer, Citation, Kind

__all__ = ["KINDS", "SYSTEMS", "Answer", "Citation", "Kind", "PolicyBot"]


def __getattr__(name: str):
    if name == "PolicyBot":
        from bot.answering.pipeline import PolicyBot

        return PolicyBot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
