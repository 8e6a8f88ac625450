"""The entity recogniser backed by the project's own spaCy models (``ner-ja``, ``ner-zh``).

Each model (``pipeline/models/ner-*``, see their ``MODEL_CARD.md``) is a spaCy 3.8 pipeline with
one ``tagger`` component named ``ner_tagger`` that predicts BILUO tags, decoded with a
constrained Viterbi (:mod:`pipeline.ner.decoding`) into entities. The sentences' feature arrays
come from :mod:`pipeline.ner.features` (ja) and :mod:`pipeline.ner.zh_features` (zh); the
network runs as :class:`~pipeline.ner.numpy_tagger.NumpyTagger` where the architecture allows it
(thinc otherwise), and a model may ship a second network for its unsure sentences (``cascade``
in its meta): a character BiGRU (:class:`~pipeline.ner.gru_tagger.CharBiGRUTagger`, ner-zh) or,
with ``kind: tagger``, a second model of its own architecture in a subfolder.

Entity offsets are computed from token indices and the pipeline tokens' own offsets, never
from ``Doc.text`` (the spaCy words are normalised), so they are exact code-point offsets into
the article text. For single-core speed run with ``OPENBLAS_NUM_THREADS=1`` (the matrix
products go through numpy's BLAS, see :func:`use_fast_gemm`).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from pathlib import Path

import numpy as np
import spacy
from spacy.strings import get_string_id
from thinc.api import NumpyOps

import pipeline.ner.architectures  # noqa: F401  (registers the layers the models are built from)
from pipeline.config import ConfigError
from pipeline.ner import MODELS_DIR
from pipeline.ner.decoding import biluo_constraints, decode_batch, snap_to_latin_words, tags_to_spans
from pipeline.ner.features import (
    FEATURE_SETS,
    TAGGER_PIPE,
    WORD_TAGS,
    _FeatureRows,
    fast_features,
    ja_doc_arrays,
    zh_doc_arrays,
    make_doc,
)
from pipeline.ner.gru_tagger import CharBiGRUTagger
from pipeline.ner.numpy_tagger import NumpyTagger
from pipeline.ner.zh_features import ZhBigramFeatures
from pipeline.record import Document, Entity
from pipeline.stages.tokenize_ja import FugashiTokenizer
from pipeline.stages.tokenize_zh import JiebaTokenizer

_CONSTRAINTS: dict[tuple[str, ...], tuple] = {}

def _tagger(nlp):
    return nlp.get_pipe(TAGGER_PIPE)

# Loaded models by path, shared by every SpacyNER of the process (models are read-only at
# inference): a second Pipeline in the same process, or a worker forked after a model was
# loaded, does not load it again. The zh feature caches are shared the same way.
_LOADED: dict[str, object] = {}

_ZH_FEATURES: dict[int, object] = {}

def use_fast_gemm(nlp) -> None:
    """Run the model's matrix products through numpy's BLAS instead of thinc's bundled blis.

    On the project's CPUs OpenBLAS (numpy) is about 2.5x faster than blis for these shapes.
    Only the nodes of this pipeline's models are changed (no global thinc state). For a
    single-core measurement run with ``OPENBLAS_NUM_THREADS=1``.
    """
    ops = NumpyOps(use_blis=False)
    for _, proc in nlp.pipeline:
        model = getattr(proc, "model", None)
        if model is not None:
            for node in model.walk():
                node.ops = ops

def mix_tag_style(tagger, nlp, style: dict) -> None:
    """Make ``tagger`` (a :class:`NumpyTagger` of ``nlp``'s model) embed the TAG column as the
    style mix ``style`` (``meta.json`` ``shinbun.style``: the flag of the flagged corpus's tags and
    ``alpha``) for the TAG strings ``style["tags"]`` (the zh word-position tags when absent: zh
    models trained before the list was written)."""
    column = [kind for kind, _ in fast_features(nlp).plan].index("tag")
    pairs = {get_string_id(t): get_string_id(style["flag"] + t) for t in style.get("tags", WORD_TAGS)}
    tagger.mix_style(column, pairs, float(style["alpha"]))

def _decoder(nlp):
    """(tags, (trans, start, end) constraints) of a tagger model."""
    tags = list(_tagger(nlp).labels)
    key = tuple(tags)
    cons = _CONSTRAINTS.get(key)
    if cons is None:
        cons = _CONSTRAINTS[key] = biluo_constraints(tags)
    return tags, cons

def predict_rows(
    nlp, rows_list, batch_size: int = 256, scorer=None, refine=None
) -> list[list[tuple[int, int, str]]]:
    """Entity spans (first row, last row + 1, label) per sentence, from feature-hash rows
    (numpy arrays as :class:`FastFeatures` or :class:`~pipeline.ner.zh_features.ZhBigramFeatures`
    make them) or from spaCy ``Doc`` objects (the reference path).

    ``scorer``, when given, maps a batch of ``rows_list`` items to their tag scores instead
    of the thinc model (the zh path passes embedded arrays and a :class:`NumpyTagger`).
    ``refine(scores, indices)``, when given, may replace the scores (of the items of ``rows_list``
    at ``indices``: all non-empty ones, in one call) before decoding: :meth:`SpacyNER._refiner`
    mixes in the second network there.
    """
    tagger = _tagger(nlp)
    tags, (trans, start, end) = _decoder(nlp)
    if scorer is None:
        def scorer(batch):
            return tagger.model.predict([_FeatureRows(x) if isinstance(x, np.ndarray) else x for x in batch])
    result: list[list[tuple[int, int, str]]] = [[] for _ in rows_list]
    # batches of similar length (less padding in the Viterbi loop)
    order = sorted(range(len(rows_list)), key=lambda i: len(rows_list[i]))
    batches = [[i for i in order[b : b + batch_size] if len(rows_list[i])] for b in range(0, len(order), batch_size)]
    scored = [(idx, scorer([rows_list[i] for i in idx])) for idx in batches if idx]
    if refine is not None and scored:
        # one refine call for all batches: the second network then runs its time loop once over
        # all the unsure sentences instead of once per batch (its cost is mostly per step)
        refined = iter(refine([x for _, scores in scored for x in scores], [i for idx, _ in scored for i in idx]))
        scored = [(idx, [next(refined) for _ in idx]) for idx, _ in scored]
    for idx, scores in scored:
        for i, path in zip(idx, decode_batch(scores, trans, start, end)):
            result[i] = tags_to_spans(path, tags)
    return result

def predict_entities(
    nlp, arrays_list, batch_size: int = 256, fast: bool = True, scorer=None, refine=None
) -> list[list[tuple[int, int, str]]]:
    """Entities (char start, char end, label) per sentence, from the per-sentence arrays.

    ``fast`` feeds the model feature rows computed directly (:class:`FastFeatures`) instead of
    spaCy ``Doc`` objects; the two give identical features. ``scorer`` (fast path only) scores
    batches of feature rows instead of the thinc model, e.g. ``NumpyTagger.scores_rows``.
    """
    if fast:
        feats = fast_features(nlp)
        rows_list = [feats.rows(a).rows if a[0] else np.zeros((0, len(feats.plan)), np.uint64) for a in arrays_list]
        spans = predict_rows(nlp, rows_list, batch_size, scorer=scorer, refine=refine)
    else:
        spans = _predict_docs(nlp, arrays_list, batch_size, refine)
    return [
        [(a[3][s][0], a[3][e - 1][1], lab) for s, e, lab in sent] for a, sent in zip(arrays_list, spans)
    ]

def _predict_docs(nlp, arrays_list, batch_size, refine=None):
    """The reference path: spaCy ``Doc`` objects through the model (tests compare it with the fast one)."""
    docs = [make_doc(nlp.vocab, a) if a[0] else () for a in arrays_list]
    return predict_rows(nlp, docs, batch_size, refine=refine)

def resolve_model_path(model: str | Path) -> Path:
    p = Path(model)
    if p.is_dir():
        return p
    cand = MODELS_DIR / str(model)
    if cand.is_dir():
        return cand
    raise ConfigError(f"no spaCy NER model at {model!s} (nor {cand})")

def _check_unit_interval(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be within [0, 1], not {value!r}")

class SpacyNER:
    """Entity stage backed by a project-trained spaCy NER model (``ner-ja`` / ``ner-zh``)."""

    def __init__(
        self,
        model: str | Path,
        lang: str,
        batch_size: int = 256,
        second_network: bool = True,
        cascade_threshold: float | None = None,
        style_alpha: float | None = None,
    ) -> None:
        """``second_network=False`` runs a model that ships one (``cascade`` in its meta) without
        it: faster, less accurate (the model card has both). ``cascade_threshold`` replaces the
        model's own threshold (a sentence goes to the second network when some character's most
        likely tag is below it): lower is faster, see the model card's table. ``style_alpha``
        replaces the style mix of a model trained with an annotation-style flag (``style`` in its
        meta; see :meth:`NumpyTagger.mix_style`): 0 is the unflagged corpora's convention, 1 the
        flagged corpus's."""
        if lang not in ("ja", "zh"):
            raise ConfigError(f"SpacyNER supports lang 'ja' or 'zh', not {lang!r}")
        self.lang = lang
        self.path = resolve_model_path(model)
        meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        model_name = self.path.name
        self.name = f"spacy:{model_name}"
        self.version = f"{model_name} {meta.get('version', '0')}"
        self.labels: tuple[str, ...] = tuple(meta.get("shinbun", {}).get("labels", ()))
        self.features = meta.get("shinbun", {}).get("features", "ja" if lang == "ja" else "zh-bigram")
        if self.features not in FEATURE_SETS or (self.features == "ja") != (lang == "ja"):
            raise ConfigError(f"{model_name}: feature set {self.features!r} is not one of {FEATURE_SETS} for {lang!r}")
        # a second network averaged in on the sentences the model is unsure of (ner-zh-accurate)
        self.cascade: dict | None = meta.get("shinbun", {}).get("cascade") if second_network else None
        if cascade_threshold is not None:
            _check_unit_interval("cascade_threshold", cascade_threshold)
            if self.cascade is not None:
                self.cascade = dict(self.cascade, threshold=float(cascade_threshold))
        if self.cascade is not None and self.cascade.get("kind") == "tagger" and self.features == "zh-bigram":
            # the Chinese path hands the second network characters, not a tagger's feature rows
            raise ConfigError(f"{model_name}: a second network of kind 'tagger' runs with the ja features only; "
                              "a zh model's second network is a character BiGRU (teacher.npz)")
        if self.cascade is not None:
            self.version += f" + {self.cascade['model']}"
            if cascade_threshold is not None:
                self.version += f" (threshold {float(cascade_threshold):g})"
        # annotation-style mix: {"flag": prefix of the flagged corpus's TAG strings, "alpha": ...}
        self.style: dict | None = meta.get("shinbun", {}).get("style")
        if self.style is not None and self.features != "zh-bigram" and "tags" not in self.style:
            raise ConfigError(f"{model_name}: a style mix without its list of TAG strings (style.tags) needs the zh-bigram features")
        if style_alpha is not None:
            if self.style is None:
                raise ConfigError(f"{model_name} was not trained with a style flag: style_alpha does not apply")
            _check_unit_interval("style_alpha", style_alpha)
            self.style = dict(self.style, alpha=float(style_alpha))
            self.version += f" (style {float(style_alpha):g})"
        self.batch_size = batch_size
        self._second = None
        self._nlp = None
        self._tokenizer = None
        self._zh_feats = None
        self._np_tagger = None

    # -- lazy resources (workers fork, so nothing heavy happens in __init__) --
    def _get_nlp(self):
        if self._nlp is None:
            key = str(self.path.resolve())
            nlp = _LOADED.get(key)
            if nlp is None:
                nlp = spacy.load(self.path)
                use_fast_gemm(nlp)
                _LOADED[key] = nlp
            self._nlp = nlp
        return self._nlp

    def _zh_features(self):
        if self._zh_feats is None:
            nlp = self._get_nlp()
            feats = _ZH_FEATURES.get(id(nlp))
            if feats is None:
                feats = _ZH_FEATURES[id(nlp)] = ZhBigramFeatures(fast_features(nlp))
            self._zh_feats = feats
        return self._zh_feats

    def _tokenize(self, text, spans):
        if self._tokenizer is None:
            if self.lang == "ja":
                self._tokenizer = FugashiTokenizer()
            else:
                self._tokenizer = JiebaTokenizer()
        return self._tokenizer.tokenize(text, spans)

    def sentence_arrays(self, text: str, sentences, tokens) -> list[tuple]:
        """Per sentence, the arrays used to build its spaCy doc (see ``ja_doc_arrays``)."""
        starts = [t.start for t in tokens]
        out = []
        for sent in sentences:
            lo = bisect_left(starts, sent.start)
            hi = bisect_left(starts, sent.end, lo)
            stoks = [t for t in tokens[lo:hi] if t.end <= sent.end]
            if self.lang == "ja":
                out.append(ja_doc_arrays(text, stoks))
            else:
                out.append(zh_doc_arrays(text, sent.start, sent.end, stoks))
        return out

    def predict_arrays(
        self, arrays_list, numpy_tagger: bool = True, chars_list: list[str] | None = None
    ) -> list[list[tuple[int, int, str]]]:
        """Entities per sentence from the per-sentence arrays. With ``numpy_tagger`` (and a model
        of the shipped architecture) the model runs as :class:`NumpyTagger`, else through thinc.
        ``chars_list`` (the characters of each sentence's rows) is needed by a model with a
        second network (``cascade`` in its meta)."""
        tagger = self._numpy_tagger() if numpy_tagger else False
        if not tagger:
            self._check_thinc_allowed()
        refine = self._refiner(chars_list, arrays_list)
        return predict_entities(
            self._get_nlp(), arrays_list, self.batch_size, scorer=tagger.scores_rows if tagger else None, refine=refine
        )

    def _second_probs(self, chars_list, arrays_list):
        """``probs(indices)``: the second network's tag probabilities (columns in this model's
        tag order) for the sentences at ``indices``. A ``tagger`` cascade (``kind`` in the meta)
        is a second model of this one's architecture in a subfolder, run on the same token
        arrays; otherwise the second network is a character BiGRU (``CharBiGRUTagger``) run on
        the sentences' characters."""
        tags = list(_tagger(self._get_nlp()).labels)
        if self.cascade.get("kind") == "tagger":
            if arrays_list is None:
                raise ValueError(f"{self.path.name} has a second network: pass the sentences' arrays")
            if self._second is None:
                other = SpacyNER(self.path / self.cascade["model"], self.lang, self.batch_size, second_network=False)
                nlp2 = other._get_nlp()
                self._second = (other._numpy_tagger(), fast_features(nlp2), [list(_tagger(nlp2).labels).index(t) for t in tags])
            tagger2, feats2, columns = self._second
            if not tagger2:
                raise ConfigError(f"{self.path.name}: the second network's architecture has no numpy tagger")

            def probs(indices):
                scores = tagger2.scores_rows([feats2.rows(arrays_list[i]).rows for i in indices])
                out = []
                for x in scores:
                    e = np.exp(x - x.max(axis=1, keepdims=True))
                    out.append((e / e.sum(axis=1, keepdims=True))[:, columns])
                return out

            return probs
        if chars_list is None:
            raise ValueError(f"{self.path.name} has a second network: pass the sentences' characters")
        if self._second is None:
            second = CharBiGRUTagger(self.path / self.cascade["model"])
            self._second = (second, [second.tags.index(t) for t in tags])
        second, columns = self._second
        return lambda indices: [q[:, columns] for q in second.probs([chars_list[i] for i in indices])]

    def _refiner(self, chars_list: list[str] | None, arrays_list=None):
        """The ``refine`` step of :func:`predict_rows` for a model with a second network: on each
        sentence where some character's (ja: token's) most likely tag has probability below the
        threshold, the tag probabilities become the average of both networks' (the rest keep the
        model's own scores; decoding is unchanged by the log-softmax). None for a model without
        one."""
        if self.cascade is None:
            return None
        second_probs = self._second_probs(chars_list, arrays_list)
        threshold = float(self.cascade["threshold"])

        def refine(scores, idx):
            # softmax numerators and sums; a character's top probability is 1 / its sum, so
            # only the unsure sentences get normalised
            unsure = {}
            for k, x in enumerate(scores):
                if len(x):
                    e = np.exp(x - x.max(axis=1, keepdims=True))
                    total = e.sum(axis=1, keepdims=True)
                    if 1.0 / total.max() < threshold:
                        unsure[k] = e / total
            if not unsure:
                return scores
            out = list(scores)
            for (k, p), q in zip(unsure.items(), second_probs([idx[k] for k in unsure])):
                out[k] = np.log(np.maximum((p + q) * 0.5, 1e-9))
            return out

        return refine

    def _numpy_tagger(self):
        if self._np_tagger is None:
            tagger = NumpyTagger.from_model(_tagger(self._get_nlp()).model) or False
            if tagger and self.style is not None:
                mix_tag_style(tagger, self._get_nlp(), self.style)
            self._np_tagger = tagger
        return self._np_tagger

    def _check_thinc_allowed(self) -> None:
        # thinc's embedding layer cannot mix two keys' embeddings: a style mix needs NumpyTagger
        if self.style is not None and float(self.style["alpha"]) != 0.0:
            raise ValueError(f"{self.path.name} mixes annotation styles, which only the numpy tagger supports")

    def predict_zh_article(self, text: str, sentences, tokens, cached: bool = True) -> list[tuple[int, int, str]]:
        """Entities of a whole article with the vectorised ``zh-bigram`` features; ``cached``
        uses per-key cached embeddings (:meth:`ZhBigramFeatures.embedded`) when the model's
        architecture allows it."""
        return self.predict_zh_articles([(text, sentences, tokens)], cached)[0]

    def predict_zh_articles(self, articles, cached: bool = True) -> list[list[tuple[int, int, str]]]:
        """:meth:`predict_zh_article` for several ``(text, sentences, tokens)``, their sentences
        scored together (larger batches cost less per character, the BiLSTM's time loop most)."""
        nlp = self._get_nlp()
        tagger = self._numpy_tagger() if cached else False
        if not tagger:
            self._check_thinc_allowed()
        feats = self._zh_features()
        per_article = [
            feats.embedded(text, sents, toks, tagger) if tagger else feats.rows(text, sents, toks)
            for text, sents, toks in articles
        ]
        chars = None
        if self.cascade is not None:
            chars = [
                "".join(map(text.__getitem__, pos.tolist()))
                for (text, _, _), per in zip(articles, per_article)
                for _, pos in per
            ]
        spans = iter(predict_rows(
            nlp,
            [x for per in per_article for x, _ in per],
            self.batch_size,
            scorer=tagger.scores if tagger else None,
            refine=self._refiner(chars),
        ))
        out = []
        for per in per_article:
            found = []
            for _, pos in per:
                found.extend((int(pos[a]), int(pos[b - 1]) + 1, lab) for a, b, lab in next(spans))
            out.append(found)
        return out

    def __call__(self, doc: Document) -> list[Entity]:
        return self.batch([doc])[0]

    def batch(self, docs: list[Document]) -> list[list[Entity]]:
        """Entities per document; the sentences of all documents go through the model together."""
        inputs = []  # (index, text, sentences, tokens)
        for k, doc in enumerate(docs):
            text = doc.text
            sentences = list(doc.sentences)
            if not sentences or not text:
                continue
            tokens = sorted(doc.tokens, key=lambda t: (t.start, t.end)) if doc.tokens else []
            if not tokens:
                tokens = self._tokenize(text, sentences)
            inputs.append((k, text, sentences, tokens))
        if self.lang == "zh" and self.features == "zh-bigram":
            found_per_doc = self.predict_zh_articles([x[1:] for x in inputs])
        else:
            arrays_per_doc = [[a for a in self.sentence_arrays(text, sents, toks) if a[0]] for _, text, sents, toks in inputs]
            chars = None
            if self.cascade is not None and self.cascade.get("kind") != "tagger":
                chars = [
                    "".join(text[s] for s, _ in a[3])
                    for (_, text, _, _), arrays in zip(inputs, arrays_per_doc)
                    for a in arrays
                ]
            per_sentence = iter(
                self.predict_arrays([a for arrays in arrays_per_doc for a in arrays], chars_list=chars)
            )
            found_per_doc = [[e for _ in arrays for e in next(per_sentence)] for arrays in arrays_per_doc]
        out: list[list[Entity]] = [[] for _ in docs]
        for (k, text, _, _), found in zip(inputs, found_per_doc):
            if self.lang == "zh":
                found = snap_to_latin_words(text, found)
            ents = [Entity(start=s, end=e, label=lab, source=self.name, score=None) for s, e, lab in found]
            ents.sort(key=lambda x: (x.start, x.end))
            out[k] = ents
        return out
