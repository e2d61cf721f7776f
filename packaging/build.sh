#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle dist/rtprobe/ (run from anywhere).
#
#   packaging/build.sh              build dist/rtprobe/
#   packaging/build.sh --archive    also pack dist/rtprobe-VERSION-OS-ARCH.tar.gz
#
# PYTHON (default .venv/bin/python) must have rtprobe and the `bundle` extra installed:
# `make bundle` does that first. PyInstaller builds for the OS it runs on only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-.venv/bin/python}"
ARCHIVE=0
for arg in "$@"; do
    case "$arg" in
        --archive) ARCHIVE=1 ;;
        *) echo "build.sh: unknown argument $arg (use --archive)" >&2; exit 2 ;;
    esac
done

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is not installed for $PY; run: $PY -m pip install -e '.[bundle]'" >&2
    exit 1
fi
for asset in rtprobe.png rtprobe.svg sample.mp4; do
    if [ ! -f "assets/$asset" ]; then
        echo "build.sh: assets/$asset is missing; making the assets" >&2
        "$PY" packaging/make_assets.py
        break
    fi
done

start=$(date +%s.%N)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/rtprobe.spec
APP=dist/rtprobe

# strip symbol tables, and put empty stand-ins in place of libraries that are linked
# but never used (ICU's data, FFmpeg's HEVC and AV1 encoders): see packaging/slim.py
"$PY" packaging/slim.py "$APP"
# the desktop entry and icon beside the executable, for whoever installs it
cp packaging/rtprobe.desktop assets/rtprobe.png "$APP/"
end=$(date +%s.%N)

version="$("$APP/rtprobe" --version)"
echo "built $APP ($version) in $(awk "BEGIN {printf \"%.1f\", $end - $start}") s: $(du -sh --apparent-size "$APP" | cut -f1)"

if [ "$ARCHIVE" = 1 ]; then
    os="$(uname -s | tr '[:upper:]' '[:lower:]')"
    tarball="dist/rtprobe-${version#rtprobe }-$os-$(uname -m).tar.gz"
    tar -C dist -czf "$tarball" rtprobe
    echo "packed $tarball: $(du -h "$tarball" | cut -f1)"
fi
