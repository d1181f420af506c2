#!/usr/bin/env bash
# Debian's chromium and a CJK font for the browser tests (tests/browser) and page screenshots; Pango for
# WeasyPrint's PDF lists (公示名单), which embed the same font; poppler-utils (pdftotext) for their tests.
# Playwright drives /usr/bin/chromium; it never downloads a browser of its own.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -x /usr/bin/pdftotext ] || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null
