#!/usr/bin/env bash
# `make test`: every stage runs even when an earlier one fails; a summary line per stage ends it.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
declare -a names results times
status=0

stage() {  # stage NAME COMMAND...
  local name=$1; shift
  echo; echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then results+=("passed"); else results+=("FAILED"); status=1; fi
  names+=("$name"); times+=($((SECONDS - t0)))
}

stage pytest   $BIN/python -m pytest -q -n 2 tests
stage twins    $BIN/python tools/check_twins.py
# nbval compares every stored output digit for digit (no sanitizer: what the book prints is
# what is compared). The second run switches the CPU kernels that round differently on other
# machines (PITFALLS 17): PyTorch's SIMD level, MKL's code path and OpenBLAS's core type.
NBVAL=($BIN/python -m pytest -q -n 2 --dist loadscope --nbval notebooks)
stage nbval    "${NBVAL[@]}"
stage kernels  env ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE OPENBLAS_CORETYPE=Haswell "${NBVAL[@]}"
stage seed     $BIN/python tools/run_seeds.py 1
stage book     make --no-print-directory book-stored
if command -v chromium >/dev/null 2>&1; then
  stage site   $BIN/python tools/check_site.py
else
  echo; echo "=== site: SKIPPED (no chromium on this machine; .ci/run installs it)"
  names+=("site"); results+=("skipped"); times+=(0)
fi

echo; echo "=== summary"
for i in "${!names[@]}"; do printf '%-8s %-8s %4d s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"; done
exit $status
