# The include graph of src/ runs one way: a file may include its own folder
# and folders of a lower layer, never a sibling or a layer above it.
# The layers, bottom up (docs/architecture.md):
#   0 sys                (errors, memory, files, tables of settings, processes)
#   1 nn                 (numeric kernels: GEMM, GRU cell, activations, dropout, RNG, layouts)
#   2 vocab, eval, attention, encoder, align
#   3 decoder            (composes attention)
#   4 model              (parameters, the whole model, model files)
#   5 search
#   6 train, translate
#   7 api                (the public C API of include/nmt.h)
#   8 serve              (nmt-serve's HTTP server, over translate)
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
rank() {
    case $1 in
    sys) echo 0 ;;
    nn) echo 1 ;;
    vocab | eval | attention | encoder | align) echo 2 ;;
    decoder) echo 3 ;;
    model) echo 4 ;;
    search) echo 5 ;;
    train | translate) echo 6 ;;
    api) echo 7 ;;
    serve) echo 8 ;;
    *) echo "" ;;
    esac
}
# check_tree ROOT: prints the offending includes of ROOT/src, and unknown folders as "?name".
check_tree() {
    local dir folder r inc file target tr
    for dir in "$1"/src/*/; do
        folder=$(basename "$dir")
        r=$(rank "$folder")
        if [ -z "$r" ]; then echo "?$folder"; continue; fi
        while IFS=: read -r file inc; do
            target=${inc%%/*}
            [ "$target" = "$folder" ] && continue
            tr=$(rank "$target")
            if [ -z "$tr" ] || [ "$tr" -ge "$r" ]; then echo "${file#"$1"/}->$inc"; fi
        done < <(grep -Ho '^#include "[a-z_]*/[a-z_0-9]*\.h"' "$dir"*.[ch] 2>/dev/null | sed 's/:#include "/:/; s/"$//')
    done
}
found=$(check_tree .)
[ -z "$found" ] && pass layers_no_include_runs_upward_or_sideways || fail layers_no_include_runs_upward_or_sideways "$(echo $found)"
# the check can fail: an upward and a sideways include in a copy are both caught
mkdir -p "$T/tree/src/model" "$T/tree/src/train" "$T/tree/src/translate" "$T/tree/src/sys"
echo '#include "train/trainer.h"' >"$T/tree/src/model/x.c"
echo '#include "nn/blas.h"' >"$T/tree/src/sys/w.c"
echo '#include "translate/output.h"' >"$T/tree/src/train/y.c"
echo '#include "model/model.h"' >"$T/tree/src/translate/z.c"
found=$(check_tree "$T/tree" | sort | tr '\n' ' ')
expect_eq layers_check_catches_upward_and_sideways "$found" "src/model/x.c->train/trainer.h src/sys/w.c->nn/blas.h src/train/y.c->translate/output.h "
