#!/usr/bin/env bash
# Opens meshmem's report.html pages in a real browser (headless Chromium) and fails if one
# is blank or broken: it must parse into the tables and inline SVG charts meshmem wrote,
# fetch nothing, log no error, and its screenshot must show a page, not a white sheet.
#
#   scripts/check-report.sh                      # every output/*/report.html
#   scripts/check-report.sh output/x/report.html
#
# Needs Debian's chromium (apt-get install chromium) and python3. Screenshots are left in
# target/report-check/ to look at.
set -euo pipefail

cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$CHROMIUM" ]]; then
    echo "check-report: chromium not found (apt-get install chromium)" >&2
    exit 2
fi

pages=("$@")
if [[ ${#pages[@]} -eq 0 ]]; then
    shopt -s nullglob
    pages=(output/*/report.html)
fi
if [[ ${#pages[@]} -eq 0 ]]; then
    echo "check-report: no report.html (run \`cargo run --release\` first)" >&2
    exit 2
fi

shots=target/report-check
mkdir -p "$shots"
failed=0
for page in "${pages[@]}"; do
    name=$(basename "$(dirname "$page")")
    url="file://$(realpath "$page")"
    profile=$(mktemp -d)
    # Flags: headless as root in a container, and no background connections (this
    # machine's network is closed; they would only add noise to the log).
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --hide-scrollbars --user-data-dir="$profile" --enable-logging=stderr --v=0)
    dom="$shots/$name.dom.html"
    log="$shots/$name.log"
    timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "$url" >"$dom" 2>"$log" || true
    timeout 120 "$CHROMIUM" "${flags[@]}" --window-size=1280,2400 \
        --screenshot="$shots/$name.png" "$url" >>"$log" 2>&1 || true
    rm -rf "$profile"
    if ! python3 scripts/check_report.py "$page" "$dom" "$log" "$shots/$name.png"; then
        failed=1
    fi
done
exit $failed
