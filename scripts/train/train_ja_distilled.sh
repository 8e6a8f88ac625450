#!/usr/bin/env bash
# Trains the shipped Japanese entity model by ensemble distillation (see the ner-ja model card):
#   1. three ensemble members: configs/train/ner_ja.cfg (stockmark, KWDLC, hironsan and GSD-NE
#      training splits) at twice the width (192 instead of 96: MEMBER_SET), seeds 0, 1, 2; only
#      their tag probabilities reach the shipped model, so their size costs no speed;
#   2. their averaged tag probabilities on the training records, on the raw news sample's sentences
#      and on the sentences of the first 300 articles of the unlabelled livedoor news
#      (scripts/train/ensemble_soft_targets.py);
#   3. three students with the same config, seeds 0, 1, 2, trained on 0.5 x ensemble + 0.5 x gold;
#      the one of seed STUDENT_SEED (0, fixed before training) is packaged into OUT, the others stay
#      in RUN for the seed mean of the model card (python -m scripts.eval.seed_table).
# CPU only, three trainings at a time, one thread each (about 45 minutes on 2 cores). Never run in CI.
#
#   bash scripts/train/train_ja_distilled.sh [OUT] [STUDENT_SEED]
#
# DATA, RAW, UNLABELLED and RUN (the working folder, default training/ja-distill) can be set in
# the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-pipeline/models/ner-ja}
SEED=${2:-0}
DATA=${DATA:-../shared/data/ja}
RAW=${RAW:-../shared/data/raw/ja_news_sample.jsonl}
UNLABELLED=${UNLABELLED:-../shared/data/raw/unlabelled/ja_news_unlabelled.jsonl.gz}
RUN=${RUN:-training/ja-distill}
VERSION=${VERSION:-0.6.0}
mkdir -p "$RUN"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

train() {  # train NAME ARGS...: one run, logged to $RUN/NAME.log
    local name=$1
    shift
    python -m scripts.train.train_ner --lang ja --data "$DATA" --max-minutes 55 "$@" >"$RUN/$name.log" 2>&1
}

# the members' width (embedding and encoder); the students keep the config's 96
MEMBER_SET=(--set components.ner_tagger.model.tok2vec.embed.width=192
            --set components.ner_tagger.model.tok2vec.encode.width=192)
for s in 0 1 2; do train "m$s" --out "$RUN/m$s" --seed "$s" "${MEMBER_SET[@]}" & done
wait
python -m scripts.train.ensemble_soft_targets --lang ja --data "$DATA" --raw "$RAW" --raw "$UNLABELLED" \
    --raw-articles 300 --models "$RUN/m0,$RUN/m1,$RUN/m2" --out "$RUN/ens3_soft.npz" >"$RUN/ens3_soft.log" 2>&1
for s in 0 1 2; do
    dest="$RUN/student-s$s"
    [ "$s" = "$SEED" ] && dest="$OUT"
    train "student-s$s" --out "$dest" --seed "$s" --soft-targets "$RUN/ens3_soft.npz" --distill-weight 0.5 \
        --version "$VERSION" &
done
wait
# as shipped: no dev scores file, an empty string table, provenance in meta.json
python -m scripts.train.package_model "$OUT" --seed "$SEED" \
    --vectors-source "ja_ginza 5.3.0 vocab (chiVe word2vec vectors, Apache-2.0; package MIT), 480,443 keys / 20,000 vectors x 300" \
    --vectors-kept "480,204 keys (by NORM feature hash), PCA to 100 dims, float16" \
    --teacher "average of 3 models trained with configs/train/ner_ja.cfg at width 192 (embedding and encoder), seeds 0/1/2" \
    --unlabelled "sentences of ../shared/data/raw/ja_news_sample.jsonl and of the first 300 articles of ../shared/data/raw/unlabelled/ja_news_unlabelled.jsonl.gz"
grep -h "finished" "$RUN"/*.log
