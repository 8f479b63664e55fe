"""Typed errors. Each carries a message fit to show a user; the API maps them to HTTP codes."""


class PolicyBotError(Exception):
    """Base class: a problem the user can act on (bad input, missing file), not a bug."""

    status_code = 400


class InvalidInput(PolicyBotError):
    status_code = 422


class NotFound(PolicyBotError):
    status_code = 404


class Conflict(PolicyBotError):
    status_code = 409


class IndexNotReady(PolicyBotError):
    """The index is missing, stale or corrupt."""

    status_code = 503


class ModelError(PolicyBotError):
    status_code = 503


def validation_problems(exc) -> str:
    """A pydantic ValidationError as one readable line: "field.path: message; ..."."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


class ConfigError(PolicyBotError):
    """A setting names something that cannot be used (an unknown storage URI, a missing driver)."""
