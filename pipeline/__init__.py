"""shinbun: Japanese and Chinese news articles -> structured JSON records of entities.

    import pipeline
    nlp = pipeline.load()                      # the packaged default config
    record = nlp.process(pipeline.Article(id="1", text="..."))
"""

from typing import Any

__version__ = "0.1.0"

__all__ = ["Article", "Pipeline", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # Lazy: `import pipeline.io.readers` should not pay for loading every stage.
    if name in ("Pipeline", "load"):
        from pipeline import core

        return getattr(core, name)
    if name == "Article":
        from pipeline.record import Article

        return Article
    raise AttributeError(name)
