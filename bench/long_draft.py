"""A 1 MB Markdown draft in a real terminal (tmux 80×24): open, find, keystroke echo.

    uv run python bench/long_draft.py [--rounds 3] [--echo-keys 15] [--json]

Writes a novel-shaped draft (≈ 1 MB: chapters, long paragraphs, emphasis, quotes, lists), then
measures, rounds interleaved so a noisy moment hits every variant:

  open    `quillpen draft.md` until the draft's last line is on screen, against a minimal
          Textual app showing the same file in a TextArea (soft wrap, cursor at the end)
  find    Ctrl+F, a word typed: from its last key to its count ("1 of 1,234") on screen, the
          matches highlighted in the same frame; also a one-letter search (the most matches)
  echo    keys typed in the middle of the draft (`quillpen draft.md:LINE`) until each shows:
          the .md draft (Markdown highlighting on), the same text as .txt (off), and the
          minimal TextArea app (p50, p95)
  parse   in this process: one keystroke's Markdown work, quillpen's window against Textual's
          own ``language="markdown"`` (incremental reparse and whole-document query)

No model is loaded (private, empty user folders): the numbers are the editor's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from terminal import ECHO_CHARS, QUILLPEN, Terminal, _echo  # noqa: E402

MIDDLE = 0.5
"""Where the echo keys are typed: this far down the draft."""
WORD = "lighthouse"
LETTER = "w"
MINIMAL_APP = """
import sys
from pathlib import Path
from textual.app import App
from textual.widgets import TextArea

class Minimal(App):
    def compose(self):
        yield TextArea(Path(sys.argv[1]).read_text(), soft_wrap=True)

    def on_mount(self):
        area = self.query_one(TextArea)
        line = int(sys.argv[2]) if len(sys.argv) > 2 else area.document.line_count - 1
        area.move_cursor((line, 0), center=True)

Minimal().run()
"""
WORDS = (
    "the sea was slow and grey under a sky of lead keeper lamp stairs storm night tide "
    "gulls fog glass wick clock ship rocks harbour rope salt wind she he they said would "
    "could never always again light dark cold long quiet in on at to from with"
)
VOCABULARY = WORDS.split()


def write_draft(folder: Path, size: int = 1_000_000) -> tuple[Path, Path, int]:
    """The draft as .md and .txt, and the line the echo keys go to."""
    rng = random.Random(20)
    parts: list[str] = []
    total = chapter = 0
    while total < size:
        if not parts or rng.random() < 0.02:
            chapter += 1
            parts.append(f"# Chapter {chapter}")
        kind = rng.random()
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(60, 220))]
        for _ in range(len(words) // 150):
            words[rng.randrange(len(words))] = WORD
        if rng.random() < 0.3:
            at = rng.randrange(len(words))
            words[at] = f"*{words[at]}*"
        if rng.random() < 0.1:
            at = rng.randrange(len(words))
            words[at] = f"**{words[at]}**"
        text = " ".join(words).capitalize() + "."
        if kind < 0.05:
            text = "> " + text
        elif kind < 0.08:
            text = "\n".join(f"- {' '.join(words[i : i + 6])}" for i in range(0, 30, 6))
        parts.append(text)
        total += len(text) + 2
    parts.append("THE END")
    body = "\n\n".join(parts) + "\n"
    md, txt = folder / "draft.md", folder / "draft.txt"
    md.write_text(body, encoding="utf-8")
    txt.write_text(body, encoding="utf-8")
    lines = body.splitlines()
    middle = int(len(lines) * MIDDLE)
    while not lines[middle].strip() or lines[middle].startswith(("#", ">", "-")):
        middle += 1
    return md, txt, middle


def count(path: Path, query: str) -> int:
    from tui.find import FindOptions, compile_pattern, find_hits

    pattern = compile_pattern(query, FindOptions())
    assert not isinstance(pattern, str)
    return len(find_hits(path.read_text(encoding="utf-8").splitlines(), pattern))


def _fresh_state(env: dict[str, str]) -> dict[str, str]:
    """A state folder of its own: keys typed in one run leave a recovery copy (the terminal is
    closed on them), which the next run would offer back."""
    state = Path(env["XDG_STATE_HOME"]) / str(time.monotonic_ns())
    state.mkdir(parents=True)
    return {**env, "XDG_STATE_HOME": str(state)}


def open_round(command: str, env: dict[str, str], log: Path) -> float:
    term = Terminal(f"qld{os.getpid()}-{time.monotonic_ns()}", _fresh_state(env), log)
    try:
        started = term.start(command)
        return term.expect("THE END", timeout=120, poll=0.005) - started - 0.05
    finally:
        term.stop()


def find_round(md: Path, env: dict[str, str], log: Path) -> dict[str, float]:
    """Milliseconds from a search's last key to its count on screen."""
    word_hits, letter_hits = count(md, WORD), count(md, LETTER)
    term = Terminal(f"qlf{os.getpid()}-{time.monotonic_ns()}", _fresh_state(env), log)
    try:
        term.start(f"{QUILLPEN} {md}")
        term.expect("THE END", timeout=120)
        _no_toast(term)
        term.keys("C-f")
        term.expect("Aa", timeout=10)
        time.sleep(0.3)
        term.mark()
        t0 = time.perf_counter()
        term.keys("-l", LETTER)
        letter = term.expect(f"of {letter_hits:,}", timeout=30) - t0
        term.keys("BSpace")
        time.sleep(0.3)
        term.keys("-l", WORD[:-1])
        term.expect(f"of {count(md, WORD[:-1]):,}", timeout=30)
        time.sleep(0.3)
        term.mark()
        t0 = time.perf_counter()
        term.keys("-l", WORD[-1])
        word = term.expect(f"of {word_hits:,}", timeout=30) - t0
    finally:
        term.stop()
    return {"find_word_ms": word * 1000, "find_letter_ms": letter * 1000}


def _no_toast(term: Terminal) -> None:
    """Wait until the "no model" notice has gone: it covers the bar's count (bottom right)."""
    deadline = time.monotonic() + 30
    time.sleep(1.0)
    while "No model" in term.screen() and time.monotonic() < deadline:
        time.sleep(0.25)


def echo_round(
    command: str, line_text: str, env: dict[str, str], log: Path, keys: str
) -> list[float]:
    term = Terminal(f"qle{os.getpid()}-{time.monotonic_ns()}", _fresh_state(env), log)
    try:
        term.start(command)
        term.expect(line_text[:30], timeout=120)
        time.sleep(1.0)
        return _echo(term, keys, streaming=False)
    finally:
        term.stop()


def parse_costs(md: Path, line: int) -> dict[str, float]:
    """One keystroke's Markdown work in ms: quillpen's window, and Textual's whole document."""
    from textual._tree_sitter import get_language
    from textual.document._syntax_aware_document import SyntaxAwareDocument
    from textual.geometry import Size
    from textual.widgets import TextArea

    from tui.widgets.markdown_styles import MarkdownStyler, _Grammar

    text = md.read_text(encoding="utf-8")
    lines = text.splitlines()
    grammar, styler = _Grammar(), MarkdownStyler()
    styler._read(grammar, lines, line, Size(78, 22))  # the window an 80x24 editor parses
    window, at = list(styler._window), line - styler._first
    t0 = time.perf_counter()
    for n in range(20):  # a key typed into the line: its block parsed again, the rest kept
        window[at] = f"{n}{window[at]}"
        grammar.spans(window)
    ours = (time.perf_counter() - t0) / 20
    language = get_language("markdown")
    document = SyntaxAwareDocument(text, language)
    query = document.prepare_query(TextArea._get_builtin_highlight_query("markdown"))
    t0 = time.perf_counter()
    for _ in range(3):
        document.replace_range((line, 0), (line, 0), "x")
        document.query_syntax_tree(query)
    theirs = (time.perf_counter() - t0) / 3
    return {"ours_ms": ours * 1000, "textual_ms": theirs * 1000}


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--echo-keys", type=int, default=15, help="at most 30")
    ap.add_argument("--opens", type=int, default=3, help="opens of each app per round")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    keys = ECHO_CHARS[: max(1, min(args.echo_keys, len(ECHO_CHARS)))]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        md, txt, line = write_draft(folder)
        line_text = md.read_text(encoding="utf-8").splitlines()[line]
        minimal = folder / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        env = {**os.environ, "TERM": "xterm-256color"}
        for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
            env[f"XDG_{kind}_HOME"] = str(folder / kind.lower())
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        log = folder / "tty.log"
        open_round(f"{QUILLPEN} {md}", env, log)  # warm the caches once
        got: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for _ in range(args.opens):
                got.setdefault("open", []).append(open_round(f"{QUILLPEN} {md}", env, log))
                minimal_cmd = f"{sys.executable} {minimal} {md}"
                got.setdefault("minimal_open", []).append(open_round(minimal_cmd, env, log))
            for name, value in find_round(md, env, log).items():
                got.setdefault(name, []).append(value)
            variants = {
                "echo_md": f"{QUILLPEN} {md}:{line + 1}",
                "echo_txt": f"{QUILLPEN} {txt}:{line + 1}",
                "echo_minimal": f"{sys.executable} {minimal} {md} {line}",
            }
            for name, command in variants.items():
                got.setdefault(name, []).extend(echo_round(command, line_text, env, log, keys))
        costs = parse_costs(md, line)
        med = {k: statistics.median(v) for k, v in got.items()}
        result = {
            "draft_bytes": md.stat().st_size,
            "rounds": args.rounds,
            "open_s": round(med["open"], 3),
            "minimal_open_s": round(med["minimal_open"], 3),
            "open_ratio": round(med["open"] / med["minimal_open"], 3),
            "find_word_ms": round(med["find_word_ms"], 1),
            "find_letter_ms": round(med["find_letter_ms"], 1),
            **{f"{k}_p50_ms": round(med[k], 1) for k in variants},
            **{f"{k}_p95_ms": round(_p95(got[k]), 1) for k in variants},
            "echo_md_vs_minimal_p95": round(_p95(got["echo_md"]) / _p95(got["echo_minimal"]), 2),
            "markdown_key_ours_ms": round(costs["ours_ms"], 2),
            "markdown_key_textual_ms": round(costs["textual_ms"], 1),
        }
    if args.json:
        print(json.dumps(result))
        return
    r = result
    print(f"1 MB draft ({r['draft_bytes']:,} bytes), tmux 80x24, medians of {r['rounds']} rounds")
    print(
        f"open    {r['open_s']} s vs minimal TextArea app {r['minimal_open_s']} s: "
        f"{r['open_ratio']:.2f}x (target <= 1.5)"
    )
    print(
        f"find    '{WORD}': {r['find_word_ms']} ms to its count and highlights (target <= 50); "
        f"'{LETTER}' (one letter): {r['find_letter_ms']} ms"
    )
    for name, label in (
        ("echo_md", ".md, Markdown on"),
        ("echo_txt", ".txt"),
        ("echo_minimal", "minimal TextArea"),
    ):
        print(f"echo    {label}: p50 {r[f'{name}_p50_ms']} ms, p95 {r[f'{name}_p95_ms']} ms")
    print(f"        (target: .md p95 <= 30 ms; .md / minimal p95 = {r['echo_md_vs_minimal_p95']}x)")
    print(
        f"parse   one key's Markdown work: {r['markdown_key_ours_ms']} ms (the window) vs "
        f"{r['markdown_key_textual_ms']} ms (Textual's language='markdown', whole document)"
    )


if __name__ == "__main__":
    main()
