#!/usr/bin/env bash
# Refreshes the vendored Bootstrap Italia design kit at a pinned version.
# Run by hand when upgrading (it needs the npm registry); the binary embeds the
# result and never needs npm at run time.
set -euo pipefail
VERSION="${1:-2.18.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/internal/web/static/vendor/bootstrap-italia"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "bootstrap-italia@$VERSION" >/dev/null && tar xzf "bootstrap-italia-$VERSION.tgz")
src="$tmp/package/dist"
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/svg" "$dest/fonts"
cp "$src/css/bootstrap-italia.min.css" "$dest/css/"
cp "$src/js/bootstrap-italia.bundle.min.js" "$dest/js/"
cp "$src/svg/sprites.svg" "$dest/svg/"
# Only the woff2 files: every browser we support reads them, and the CSS
# below declares nothing else. The kit's JS font loader injects an inline
# <style>, which our Content-Security-Policy forbids, so fonts.css replaces it.
for fam in Titillium_Web Lora Roboto_Mono; do
  mkdir -p "$dest/fonts/$fam"
  cp "$src/fonts/$fam/"*.woff2 "$dest/fonts/$fam/"
  cp "$src/fonts/$fam/"*.txt "$dest/fonts/$fam/" 2>/dev/null || true
done
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "$VERSION" > "$dest/VERSION"
{
  face() { # family weight style file
    printf '@font-face{font-family:"%s";font-style:%s;font-weight:%s;font-display:swap;src:url("%s") format("woff2")}\n' "$1" "$3" "$2" "$4"
  }
  for f in "$dest"/fonts/Titillium_Web/*.woff2; do
    n=$(basename "$f"); w=400; s=normal
    case "$n" in *300*) w=300;; *600*) w=600;; *700*) w=700;; esac
    case "$n" in *italic*) s=italic;; esac
    face "Titillium Web" "$w" "$s" "../fonts/Titillium_Web/$n"
  done
  for f in "$dest"/fonts/Lora/*.woff2; do
    n=$(basename "$f"); w=400; s=normal
    case "$n" in *700*) w=700;; esac
    case "$n" in *italic*) s=italic;; esac
    face "Lora" "$w" "$s" "../fonts/Lora/$n"
  done
  for f in "$dest"/fonts/Roboto_Mono/*.woff2; do
    n=$(basename "$f"); w=400; s=normal
    case "$n" in *700*) w=700;; esac
    case "$n" in *italic*) s=italic;; esac
    face "Roboto Mono" "$w" "$s" "../fonts/Roboto_Mono/$n"
  done
} > "$dest/css/fonts.css"
echo "Bootstrap Italia $VERSION vendored into ${dest#$root/}"
