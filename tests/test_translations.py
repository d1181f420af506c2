"""The English catalogue translates every string of the product (zh-hans is the source language)."""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries():
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        if msgid and msgid.group(1):
            yield block


def test_it_has_no_untranslated_or_fuzzy_string():
    untranslated = [b for b in entries() if re.search(r'^msgstr ""(?!\n")\s*$', b, re.M) and "msgid_plural" not in b]
    fuzzy = [b for b in entries() if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    assert not untranslated and not fuzzy, (untranslated + fuzzy)[:3]
