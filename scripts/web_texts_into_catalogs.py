#!/usr/bin/env python3
"""Move the web's Swedish and Finnish texts (mailflow/web/texts.json) into the gettext catalogs.

Once mailflow/i18n.py and mailflow/locale/ are on this branch:

    scripts/i18n extract && scripts/i18n update
    .venv/bin/python scripts/web_texts_into_catalogs.py
    scripts/i18n compile

then delete mailflow/web/texts.json (mailflow/web/texts.py uses the catalogs when mailflow.i18n exists).
"""
import json

from babel.messages.pofile import read_po, write_po

table = json.load(open("mailflow/web/texts.json", encoding="utf-8"))
for lang in ("sv", "fi"):
    path = f"mailflow/locale/{lang}/LC_MESSAGES/mailflow.po"
    with open(path, "rb") as fh:
        cat = read_po(fh, locale=lang)
    filled = 0
    for m in cat:
        if not m.id:
            continue
        if isinstance(m.id, tuple):  # plural
            one, many = m.id
            if one in table and many in table:
                m.string = (table[one][lang], table[many][lang])
                filled += 1
        elif m.id in table and not m.string:
            m.string = table[m.id][lang]
            filled += 1
    with open(path, "wb") as fh:
        write_po(fh, cat, omit_header=False, sort_output=True, include_lineno=False)
    print(lang, "filled", filled)
