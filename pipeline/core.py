"""The pipeline: an article goes through the stages and comes out as a JSON-ready record.

read -> detect language -> find body / mark boilerplate -> sentences -> tokens -> entities
-> normalise -> group -> record. Each stage is a function or a configured object from the
registry; this module only wires them and turns any failure into an error record that names
the stage, so one bad article never stops a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline import __version__
from pipeline.config import Config, ConfigError, build, check_type, check_types, load_config, registry
from pipeline.io import html as web_html
from pipeline.record import SCHEMA_VERSION, Article, Document, InputError, Span
from pipeline.serialize import error_record, to_record
from pipeline.stages import entities as entity_stage
from pipeline.stages import grouping, normalize
from pipeline.stages.boilerplate import find_body
from pipeline.stages.langid import detect_language
from pipeline.stages.sentences import split_sentences
from pipeline.stages.zh_script import to_simplified

# Importing these modules registers their factories.
from pipeline.stages import tokenizers as _tokenizers  # noqa: F401

KNOWN_LANGS = {"ja": "ja", "jp": "ja", "ja-jp": "ja", "zh": None, "zh-cn": "zh-Hans", "zh-hans": "zh-Hans",
               "zh-sg": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-hant": "zh-Hant", "zh-mo": "zh-Hant",
               "und": "und"}


class StageError(Exception):
    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(f"{stage}: {exc}")
        self.stage = stage
        self.exc = exc


LangTag = Literal["ja", "zh", "zh-Hans", "zh-Hant", "und"]


@dataclass(slots=True)
class Settings:
    """The ``[pipeline]`` table; the annotations are the types a config must give (checked)."""

    emit_tokens: bool = True
    detect_boilerplate: bool = True
    entities_in_boilerplate: bool = False
    # Analyse only articles in these languages (ja, zh, zh-Hans, zh-Hant, und; zh = both scripts);
    # empty: all. Others become SkippedLanguage error records, or with keep_other_langs, `und`
    # records without analysis (docs/web-archives.md).
    langs: list[LangTag] = field(default_factory=list)
    keep_other_langs: bool = False


WEB_SETTINGS = {"html_hash": bool}
# The config's top-level keys: [input] is read by the runners (pipeline.runners.local.input_fields).
CONFIG_SECTIONS = ("input", "pipeline", "recognizers", "tokenizers", "web")
# [tokenizers.LANG]: the languages analysed, as for a recogniser's langs ("zh" serves both scripts).
TOKENIZER_LANGS = entity_stage.RECOGNIZER_LANGS


class Pipeline:
    """A configured pipeline. Create with :func:`pipeline.load`; call :meth:`process`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # A config never turns a part off silently: unknown keys (a misspelt section or setting,
        # a tokenizer for no language) and settings of the wrong type are refused.
        unknown = sorted(set(config.data) - set(CONFIG_SECTIONS))
        if unknown:
            raise ConfigError(f"unknown config section(s) {unknown} (known: {', '.join(CONFIG_SECTIONS)})")
        p = config.section("pipeline")
        known = Settings.__dataclass_fields__
        unknown = sorted(set(p) - set(known))
        if unknown:
            raise ConfigError(f"[pipeline]: unknown setting(s) {unknown} (known: {', '.join(known)})")
        check_types(Settings, p, "[pipeline]")
        self.settings = Settings(**p)
        web = config.section("web")
        unknown = sorted(set(web) - set(WEB_SETTINGS))
        if unknown:
            raise ConfigError(f"[web]: unknown setting(s) {unknown} (known: {', '.join(WEB_SETTINGS)})")
        for key, value in web.items():
            check_type(value, WEB_SETTINGS[key], "[web]", key)
        self.html_hash = web.get("html_hash", False)
        toks = config.section("tokenizers")
        unknown = sorted(set(toks) - set(TOKENIZER_LANGS))
        if unknown:
            raise ConfigError(f"[tokenizers]: unknown language(s) {unknown} (known: {', '.join(TOKENIZER_LANGS)})")
        self.tokenizers = {lang: build(registry.tokenizers, spec, f"[tokenizers.{lang}]") for lang, spec in toks.items()}
        specs = config.data.get("recognizers")
        if specs is None:
            raise ConfigError("the config has no [[recognizers]], so no entity would be found; "
                              "write `recognizers = []` to run without recognisers on purpose")
        if not isinstance(specs, list):
            raise ConfigError("[[recognizers]] must be an array of tables")
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or "factory" not in spec:
                raise ConfigError(
                    f"[[recognizers]] #{i + 1} has no factory. A [[recognizers]] list in a config file replaces "
                    "the default list whole (it is not merged entry by entry): list every recogniser, each with "
                    "its factory, or change one setting with --set recognizers.N.KEY=VALUE (N = 0 for the first)")
        self.recognizers = [build(registry.recognizers, s, f"[[recognizers]] #{i + 1}") for i, s in enumerate(specs)]
        self.grouping = grouping.Grouper()
        self._meta: dict[str, Any] | None = None

    # -- meta ------------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            models = [{"name": r.name, "version": r.version} for r in self.recognizers]
            models += [{"name": f"tokenizer:{lang}:{t.name}", "version": t.version} for lang, t in sorted(self.tokenizers.items())]
            self._meta = {
                "schema_version": SCHEMA_VERSION,
                "pipeline_version": __version__,
                "config_hash": self.config.hash,
                "models": models,
            }
        return self._meta

    # -- stages ----------------------------------------------------------------------------
    def _lang(self, article: Article, doc: Document) -> str:
        if article.lang:
            given = KNOWN_LANGS.get(article.lang.strip().lower(), "")
            if given:
                return given
            if given is None:  # plain "zh": the script is still to be found
                detected = detect_language(article.text)
                return detected if detected.startswith("zh") else "zh-Hans"
            doc.warnings.append(f"unknown language code {article.lang!r}; detected from the text instead")
        return detect_language(article.text)

    def _wanted(self, lang: str) -> bool:
        langs = self.settings.langs
        return not langs or lang in langs or (lang.startswith("zh-") and "zh" in langs)

    def _extract(self, article: Article) -> Article:
        """A web page's article (pipeline.io.html.extract). With a language filter that does not
        keep other languages, a page without Japanese or Chinese characters is skipped before the
        extraction, its costly part (raises SkippedLanguage, reported at stage ``language``)."""
        langs = self.settings.langs
        need_cjk = bool(langs) and not self.settings.keep_other_langs and "und" not in langs
        try:
            return web_html.extract(article, html_hash=self.html_hash, need_cjk=need_cjk)
        except web_html.SkippedLanguage as exc:
            raise StageError("language", exc) from exc

    def _tokenizer_for(self, lang: str):
        if lang in self.tokenizers:
            return self.tokenizers[lang]
        base = lang.split("-")[0]
        return self.tokenizers.get(base)

    def analyse(self, article: Article) -> Document:
        """Run every stage; raise StageError naming the stage that failed."""
        result = self.analyse_batch([article])[0]
        if isinstance(result, StageError):
            raise result
        return result

    def analyse_batch(self, articles: list[Article]) -> list[Document | StageError]:
        """:meth:`analyse` for several articles, with one entity-recogniser call for all of them
        where the recogniser can take a batch (``batch(docs)``): the statistical models then
        work on large batches of sentences, which costs much less per character than many small
        ones. Each article gets its document or its own :class:`StageError`; if a batched call
        fails, that recogniser is run again article by article, so only the article that fails
        fails. The results equal :meth:`analyse`'s article by article (a model's scores can differ
        in their last float bits with the batch's composition; the runners batch the same chunks
        whatever the number of workers, so a run's output does not depend on it)."""
        out: list[Document | StageError] = []
        pending: list[Document] = []
        for article in articles:
            doc = Document(article=article)
            try:
                if self._before_entities(doc):
                    pending.append(doc)
                out.append(doc)
            except StageError as err:
                out.append(err)
        failed: dict[int, StageError] = {}
        for doc, found in zip(pending, self._entities_batch(pending)):
            try:
                if isinstance(found, BaseException):
                    raise StageError("entities", found) from found
                doc.entities = found
                self._after_entities(doc)
            except StageError as err:
                failed[id(doc)] = err
        return [failed.get(id(d), d) for d in out]

    def _before_entities(self, doc: Document) -> bool:
        """Language, body, sentences and tokens; False if the document ends there (no language).
        Raises StageError."""
        article = doc.article
        stage = "read"
        try:
            if article.page is not None:
                article = doc.article = self._extract(article)
            text = article.text
            stage = "language"
            doc.lang = self._lang(article, doc)
            filtered = not self._wanted(doc.lang)
            if filtered:
                if not self.settings.keep_other_langs:
                    raise web_html.SkippedLanguage(f"language {doc.lang} is not one of [pipeline] langs {self.settings.langs}")
                doc.warnings.append(f"language {doc.lang} is not one of [pipeline] langs {self.settings.langs}: "
                                    "written as und, not analysed")
                doc.lang = "und"
            stage = "boilerplate"
            if self.settings.detect_boilerplate:
                doc.body, doc.boilerplate = find_body(text, article.title)
            else:
                start = len(text) - len(text.lstrip())
                doc.body = Span(start, start + len(text.strip()))
            if not text.strip():
                doc.warnings.append("empty text")
            if doc.lang == "und":
                if text.strip() and not filtered:
                    doc.warnings.append("language not recognised as Japanese or Chinese (und): no sentences, tokens or entities")
                return False
            stage = "sentences"
            doc.sentences = split_sentences(text, doc.body.start, doc.body.end, doc.lang)
            stage = "tokens"
            tokenizer = self._tokenizer_for(doc.lang)
            if tokenizer is not None:
                # jieba's dictionary is Simplified: segment a same-length Simplified copy of
                # Traditional text (offsets are shared, so tokens point into the original).
                seg_text = to_simplified(text) if doc.lang == "zh-Hant" else text
                doc.tokens = tokenizer.tokenize(seg_text, doc.sentences)
        except StageError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes an error record
            raise StageError(stage, exc) from exc
        return True

    def _after_entities(self, doc: Document) -> None:
        stage = "normalise"
        try:
            normalize.normalize(doc)
            stage = "grouping"
            self.grouping(doc)
        except Exception as exc:  # noqa: BLE001 - any failure becomes an error record
            raise StageError(stage, exc) from exc

    def _model_view(self, doc: Document) -> Document:
        """What the recognisers see: the document itself, or for zh-Hant a same-length
        Simplified copy (models are Simplified-only; offsets carry over)."""
        if doc.lang != "zh-Hant":
            return doc
        art = doc.article
        return Document(
            article=Article(id=art.id, text=to_simplified(art.text), title=art.title, lang=art.lang,
                            published=art.published, url=art.url, position=art.position),
            lang=doc.lang, body=doc.body, boilerplate=doc.boilerplate, sentences=doc.sentences, tokens=doc.tokens,
        )

    def _entities_batch(self, docs: list[Document]) -> list[list | BaseException]:
        """Entities per document, or the exception that its recogniser raised. A single document
        (``analyse``) calls each recogniser directly."""
        views = [self._model_view(d) for d in docs]
        per_recognizer = []
        for rec in self.recognizers:
            found = None
            batch = getattr(rec, "batch", None)
            if batch is not None and len(views) > 1:
                try:
                    found = batch(views)
                except Exception:  # noqa: BLE001 - retried one article at a time below
                    found = None
            if found is None:
                found = []
                for view in views:
                    try:
                        found.append(rec(view))
                    except Exception as exc:  # noqa: BLE001 - this article's error record
                        found.append(exc)
            per_recognizer.append(found)
        out: list[list | BaseException] = []
        for k, doc in enumerate(docs):
            results = [found[k] for found in per_recognizer]
            error = next((r for r in results if isinstance(r, BaseException)), None)
            if error is not None:
                out.append(error)
                continue
            try:
                out.append(self._merge_entities(doc, results))
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out

    def _merge_entities(self, doc: Document, results: list[list]) -> list:
        merged = entity_stage.merge([entity_stage.split_at_layout(doc.text, found) for found in results])
        if not self.settings.entities_in_boilerplate and doc.body is not None:
            merged = entity_stage.inside(merged, doc.body)
        entity_stage.check_labels(merged)
        entity_stage.assign_sentences(merged, doc.sentences)
        return merged

    def process(self, item: Article | InputError) -> dict[str, Any]:
        """One input item -> one output record (a result or an error record). Never raises."""
        if isinstance(item, InputError):
            return error_record(item.id, "read", item.type, item.message)
        try:
            return self._record(item, self.analyse(item))
        except StageError as err:
            return error_record(item.id, err.stage, type(err.exc).__name__, str(err.exc) or repr(err.exc))
        except Exception as exc:  # noqa: BLE001 - never raises
            return error_record(item.id, "record", type(exc).__name__, str(exc))

    def process_batch(self, items: list[Article | InputError]) -> list[dict[str, Any]]:
        """:meth:`process` for several items (one record each, in order), with the entity
        models run once over all of them (:meth:`analyse_batch`). Never raises."""
        articles = [it for it in items if not isinstance(it, InputError)]
        if len(articles) <= 1:
            return [self.process(it) for it in items]
        try:
            analysed = iter(self.analyse_batch(articles))
        except Exception:  # noqa: BLE001 - should not happen; then one article at a time
            return [self.process(it) for it in items]
        out = []
        for item in items:
            if isinstance(item, InputError):
                out.append(error_record(item.id, "read", item.type, item.message))
                continue
            doc = next(analysed)
            if isinstance(doc, StageError):
                out.append(error_record(item.id, doc.stage, type(doc.exc).__name__, str(doc.exc) or repr(doc.exc)))
            else:
                out.append(self._record(item, doc))
        return out

    def _record(self, item: Article, doc: Document) -> dict[str, Any]:
        try:
            return to_record(doc, self.meta, emit_tokens=self.settings.emit_tokens)
        except Exception as exc:  # noqa: BLE001 - serialisation problems too
            return error_record(item.id, "record", type(exc).__name__, str(exc))

    def process_all(self, items: Iterable[Article | InputError], batch_size: int = 16) -> Iterator[dict[str, Any]]:
        """Records for ``items``, in order, processed ``batch_size`` at a time
        (:meth:`process_batch`)."""
        batch: list[Article | InputError] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self.process_batch(batch)
                batch = []
        if batch:
            yield from self.process_batch(batch)

    # Sentences in each language the tokenizers are configured for, processed by warm_up().
    _WARM_UP_TEXTS = {"ja": "東京で会議があった。", "zh": "北京今天下雪。"}

    def warm_up(self) -> None:
        """Load what the stages load lazily (models, dictionaries, tables) by processing one
        short sentence per configured language. The local runner calls it before forking its
        workers, which then inherit everything loaded (shared copy-on-write) instead of loading
        it again each. Never raises: a stage that fails here fails again, reported, per article."""
        for lang in sorted(self.tokenizers):
            text = self._WARM_UP_TEXTS.get(lang.split("-")[0])
            if text:
                self.process(Article(id=f"warm-up-{lang}", text=text, lang=lang))


def load(config: str | Path | Config | None = None, overrides: dict[str, Any] | None = None) -> Pipeline:
    """Build a pipeline from a config file (default: the packaged ``default.toml``)."""
    cfg = config if isinstance(config, Config) else load_config(config, overrides)
    return Pipeline(cfg)
