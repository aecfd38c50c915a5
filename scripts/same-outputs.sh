#!/usr/bin/env bash
# Runs every shipped scenario at two commits and compares the output trees byte for byte:
# a refactoring must not change what meshmem writes.
#
#   scripts/same-outputs.sh [BEFORE [AFTER]]
#
# BEFORE defaults to `main`; AFTER to the working tree as it is. Each commit is built from
# `git archive` in a temporary folder (sharing this checkout's target directory, so only
# meshmem itself is rebuilt) and run on its own `scenarios/`. Exit 0 when identical, 1
# with the differing files listed otherwise.
set -euo pipefail

root=$(git rev-parse --show-toplevel)
before=${1:-main}
after=${2:-}
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME [COMMIT]: build COMMIT (or the working tree) and write its outputs to out-NAME.
run() {
    local name=$1 rev=${2:-} src=$root
    if [ -n "$rev" ]; then
        src=$work/src-$name
        mkdir -p "$src"
        git -C "$root" archive "$rev" | tar -x -C "$src"
    fi
    (cd "$src" && cargo build --release --locked --quiet --target-dir "$target")
    cp "$target/release/meshmem" "$work/meshmem-$name"
    (cd "$src" && "$work/meshmem-$name" --out "$work/out-$name" >"$work/log-$name" 2>&1)
    echo "${rev:-working tree}: $(find "$work/out-$name" -type f | wc -l) files"
}

run before "$before"
run after "$after"
if diff -r "$work/out-before" "$work/out-after" >"$work/diff"; then
    echo "identical"
else
    grep -E '^(Only in|Binary files|diff )' "$work/diff" || head -50 "$work/diff"
    exit 1
fi
