"""Registered tokenizer factories (the config's ``[tokenizers.<lang>]`` tables pick one)."""

from __future__ import annotations

from pipeline.config import registry
from pipeline.stages.tokenize_ja import FugashiTokenizer
from pipeline.stages.tokenize_zh import JiebaTokenizer


@registry.tokenizers.register("fugashi")
def make_fugashi() -> FugashiTokenizer:
    return FugashiTokenizer()


@registry.tokenizers.register("jieba")
def make_jieba(hmm: bool = True, backend: str = "rust") -> JiebaTokenizer:
    return JiebaTokenizer(hmm=hmm, backend=backend)
