#!/usr/bin/env bash
# Trains the shipped Japanese entity model by ensemble distillation (see the ner-ja model card):
#   1. four ensemble members with configs/train/ner_ja.cfg: the depth-3 encoder of ner-ja 0.3.0 with seeds
#      0, 1, 2, and the config's own depth-5 encoder with seed 0;
#   2. their averaged tag probabilities on the training records and on the raw news sample's
#      sentences (scripts/train/ensemble_soft_targets.py);
#   3. one student with the shipped architecture (configs/train/ner_ja.cfg as is, depth 5), trained on
#      0.5 x ensemble + 0.5 x gold; 0.4.0 is the student of seed 3.
# CPU only, two trainings at a time, one thread each (about an hour on 2 cores). Never run in CI.
#
#   bash scripts/train/train_ja_distilled.sh [OUT] [STUDENT_SEED]
#
# DATA, RAW and RUN (the working folder, default training/ja-distill) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-pipeline/models/ner-ja}
SEED=${2:-3}
DATA=${DATA:-../shared/data/ja}
RAW=${RAW:-../shared/data/raw/ja_news_sample.jsonl}
RUN=${RUN:-training/ja-distill}
VERSION=${VERSION:-0.4.0}
mkdir -p "$RUN"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

train() {  # train NAME ARGS...: one run, logged to $RUN/NAME.log
    local name=$1
    shift
    python -m scripts.train.train_ner --lang ja --data "$DATA" --max-minutes 40 "$@" >"$RUN/$name.log" 2>&1
}

DEPTH3=components.ner_tagger.model.tok2vec.encode.depth=3
train m0 --out "$RUN/m0" --seed 0 --set $DEPTH3 &
train m1 --out "$RUN/m1" --seed 1 --set $DEPTH3 &
wait
train m2 --out "$RUN/m2" --seed 2 --set $DEPTH3 &
train d5 --out "$RUN/d5" --seed 0 &
wait
python -m scripts.train.ensemble_soft_targets --lang ja --data "$DATA" --raw "$RAW" \
    --models "$RUN/m0,$RUN/d5,$RUN/m1,$RUN/m2" --out "$RUN/ens4_soft.npz" >"$RUN/ens4_soft.log" 2>&1
train student --out "$OUT" --seed "$SEED" --soft-targets "$RUN/ens4_soft.npz" --distill-weight 0.5 --version "$VERSION"
# as shipped: no dev scores file, an empty string table, provenance in meta.json
python -m scripts.train.package_model "$OUT" --seed "$SEED" \
    --vectors-source "ja_ginza 5.3.0 vocab (chiVe word2vec vectors, Apache-2.0; package MIT), 480,443 keys / 20,000 vectors x 300" \
    --vectors-kept "480,204 keys (by NORM feature hash), PCA to 100 dims, float16" \
    --teacher "average of 4 models trained with configs/train/ner_ja.cfg: depth 3 seeds 0/1/2 and depth 5 seed 0" \
    --unlabelled "8,184 sentences of ../shared/data/raw/ja_news_sample.jsonl"
grep -h "finished" "$RUN"/*.log
