"""The name and code normalisation that subject resolution runs on every ingested row gives the
same text as the regular expressions it replaced, whitespace of every kind included."""

from __future__ import annotations

import random
import re
import unicodedata

from xinyong.subjects.common import clean_code, clean_name, name_key, valid_uscc

_SPACES = re.compile(r"\s+")
_CODE_JUNK = re.compile(r"[\s\-]")
# ASCII and Unicode whitespace (NBSP, ideographic space, line separators, file separators ...),
# zero-width characters (not whitespace), full-width letters, ligatures, Chinese.
_ALPHABET = list(
    "ab AZ09-_（）()\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u205f"
    "\u3000\u200b\ufeffｱＡ１台州市公司ſﬀ"
)


def test_the_fast_forms_equal_the_regular_expressions() -> None:
    rnd = random.Random(2026)
    for _ in range(20_000):
        s = "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 12)))
        assert clean_name(s) == _SPACES.sub(" ", s.replace("\u3000", " ")).strip()
        assert name_key(s) == _SPACES.sub("", unicodedata.normalize("NFKC", s)).upper()
        assert clean_code(s) == _CODE_JUNK.sub("", unicodedata.normalize("NFKC", s)).upper()


def test_a_cleaned_code_gives_the_same_verdict() -> None:
    for raw in ("91331002MA21QTNGXC", " 91331002-ma21qtngxc ", "９１３３１００２ＭＡ２１ＱＴＮＧＸＣ"):
        code = clean_code(raw)
        assert valid_uscc(code, cleaned=True) == valid_uscc(raw)
