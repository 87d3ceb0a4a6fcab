"""Form checks: haiku, limerick, quatrain and sonnet; 五言/七言 绝句 and 律诗.

A poem's lines are its non-blank lines; Markdown headings ("# Title") are skipped. For the
Chinese forms a line is a verse (句): "床前明月光，疑是地上霜。" holds two.

The forms and reports are defined in `tui.poetry.form_defs`; the checks are in
`tui.poetry.english_forms` (tolerant where poets are: several pronunciations, slant rhymes in a
sonnet) and `tui.poetry.chinese_forms`.
"""

from __future__ import annotations

from tui.poetry.chinese_forms import check_chinese
from tui.poetry.english_forms import METER_TOLERANCE, check_english
from tui.poetry.form_defs import FORMS, Form, LineReport, PoemReport, detect_language, poem_lines

__all__ = [
    "FORMS",
    "METER_TOLERANCE",
    "Form",
    "LineReport",
    "PoemReport",
    "check",
    "detect_language",
    "poem_lines",
]


def check(text: str, form: str | Form, loose: bool = False, rules: str | None = None) -> PoemReport:
    """Check `text` against a form (a name from `FORMS`, or a `Form`).

    `loose`: accept assonance as a rhyme (English). `rules`: the Chinese system, "pingshui"
    or "xinyun" (None: the form's default).
    """
    if not isinstance(form, Form) and form not in FORMS:
        raise ValueError(f"unknown form {form!r}: one of {', '.join(FORMS)}")
    f = form if isinstance(form, Form) else FORMS[form]
    if f.language == "zh":
        return check_chinese(text, f, rules)
    return check_english(text, f, loose)
