#!/usr/bin/env bash
# Debian packages the tier reports need (tracker/reports/): Pango and HarfBuzz for WeasyPrint's PDF,
# the WenQuanYi Micro Hei font embedded in it (a PDF with boxes instead of characters is a failure),
# and poppler-utils (pdftotext, pdffonts, pdftoppm) with which the tests read the PDF back.
set -euo pipefail

need=()
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei poppler-utils; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
fc-list | grep -qi "WenQuanYi Micro Hei" || { echo "WenQuanYi Micro Hei is not known to fontconfig" >&2; exit 1; }
command -v pdftotext >/dev/null
