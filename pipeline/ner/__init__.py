"""Statistical entity recognisers, split by job.

- :mod:`~pipeline.ner.features`: the feature arrays of a sentence and their hashed rows (ja, zh).
- :mod:`~pipeline.ner.zh_features`: the zh features vectorised over a whole article.
- :mod:`~pipeline.ner.architectures`: the spaCy layers the models are built from.
- :mod:`~pipeline.ner.numpy_tagger`, :mod:`~pipeline.ner.gru_tagger`: the networks run in numpy.
- :mod:`~pipeline.ner.decoding`: BILUO constraints, Viterbi, span repair.
- :mod:`~pipeline.ner.spacy_ner`: the recogniser of the shipped models (``SpacyNER``).
- :mod:`~pipeline.ner.transformers_ner`: any Hugging Face token classifier (``TransformersNER``).

The pipeline step that runs and merges recognisers is :mod:`pipeline.stages.entities`.
"""

from pathlib import Path

# the models shipped inside the package, each a folder with a MODEL_CARD.md
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
