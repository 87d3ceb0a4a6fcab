"""What the user sees, in a real terminal (tmux 80×24), as ratios measured in one run.

    uv run python bench/terminal.py [--model M.gguf] [--tokens 300] [--rounds 3] [--quick]

Builds a gpt2-small-shaped random-weight model quantized to Q4_K_M (or takes ``--model``), then
measures, interleaving the rounds so a noisy moment hits every variant:

  stream   Tab → 300 tokens on screen in the real app, against the plain ``Llama.generate``
           loop at all CPU threads (the reference, same model, same run)
  echo     keystrokes typed while a continuation streams: time until each shows on screen
           (p50, p95)
  launch   `quillpen FILE` until the file's last line is on screen, against a minimal
           Textual app that shows the file in a TextArea
  memory   resident memory of the UI and engine processes, model loaded, idle

``--quick`` (the suite's smoke test) uses a tiny model and few tokens: it checks that the
benchmark runs, not the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PROMPT = "The lighthouse keeper climbed the stairs as the storm rolled in from the sea."
QUILLPEN = Path(sys.executable).with_name("quillpen")
MINIMAL_APP = """
import sys
from pathlib import Path
from textual.app import App
from textual.widgets import TextArea

class Minimal(App):
    def compose(self):
        yield TextArea(Path(sys.argv[1]).read_text(), soft_wrap=True)

Minimal().run()
"""


class Terminal:
    """A private tmux server with one 80×24 session."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name, self.env = name, env

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, env=self.env
        ).stdout

    def start(self, command: str) -> float:
        started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "b", "-x", "80", "-y", "24", command)
        return started

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "b", *keys)

    def wait(self, predicate: object, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):  # type: ignore[operator]
                return screen
            if time.monotonic() > deadline:
                raise TimeoutError(f"screen was:\n{screen}")
            time.sleep(0.005)

    def stop(self) -> None:
        self.tmux("kill-server")

    def pane_pid(self) -> int:
        return int(self.tmux("list-panes", "-t", "b", "-F", "#{pane_pid}").split()[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *descendants(int(child))]
    return out


def build_model(folder: Path, quick: bool) -> Path:
    from tinymodel import make_checkpoint

    from models.convert import convert
    from models.quantize import quantize

    shape = {"n_embd": 64, "n_layer": 2, "n_head": 4} if quick else {}
    shape = shape or {"n_embd": 768, "n_layer": 12, "n_head": 12}
    ckpt = make_checkpoint(folder / "ckpt", **shape)
    f16 = convert(ckpt, folder / "m.f16.gguf", "f16")
    out = quantize(f16, folder / "m.Q4_K_M.gguf", "Q5_0" if quick else "Q4_K_M")
    f16.unlink()
    shutil.rmtree(ckpt)
    return out


def bare_rate(model: Path, tokens: int) -> float:
    """The reference: llama-cpp-python's own generate loop at all CPU threads."""
    import llama_cpp

    from models.engine import available_threads

    llm = llama_cpp.Llama(str(model), n_ctx=1024, n_threads=available_threads(), verbose=False)
    ids = llm.tokenize(PROMPT.encode(), add_bos=False)
    llm.set_seed(7)
    start, n = time.perf_counter(), 0
    for _ in llm.generate(ids, top_k=40, top_p=0.95, min_p=0.05, temp=0.8, repeat_penalty=1.15):
        n += 1
        if n >= tokens:
            break
    rate = n / (time.perf_counter() - start)
    llm.close()
    return rate


def _ctx(screen: str) -> int:
    match = re.search(r"ctx (\d+)/", screen)
    return int(match.group(1)) if match else 0


def app_round(model: Path, tokens: int, home: Path, echo_keys: int) -> dict[str, float]:
    """One run of the real app: launch time, a timed Tab stream, echo while streaming, RSS."""
    env = {**os.environ, "TERM": "xterm-256color"}
    for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    config = home / "config" / "quillpen"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(f"continue_tokens = {tokens}\n\n[sampler]\nseed = 7\n")
    story = home / "story.md"
    story.write_text("")
    out: dict[str, float] = {}
    term = Terminal(f"qpb{os.getpid()}", env)
    try:
        term.start(f"{QUILLPEN} {story} --model {model}")
        term.wait(lambda s: "│ ready" in s)
        app_pid = int(Path(f"/proc/{term.pane_pid()}/task/{term.pane_pid()}/children").read_text())
        time.sleep(1.0)  # idle
        pids = [app_pid, *descendants(app_pid)]
        out["rss_ui"] = rss_mb(app_pid)
        out["rss_all"] = sum(rss_mb(p) for p in pids)
        term.keys("-l", PROMPT)
        term.wait(lambda s: "from the sea." in s)
        before = term.wait(lambda s: "│ ready" in s)
        start = time.perf_counter()
        term.keys("Tab")
        during = term.wait(lambda s: "generating" in s and _ctx(s) > 0, timeout=30)
        after = term.wait(lambda s: "│ ready" in s and _ctx(s) > _ctx(before), timeout=300)
        out["seconds"] = time.perf_counter() - start
        out["generated"] = _ctx(after) - _ctx(during)  # the status shows prompt, then + generated
        if echo_keys:
            term.keys("Tab")  # a second continuation; type into it as it streams
            term.wait(lambda s: "generating" in s, timeout=30)
            delays = []
            for i in range(echo_keys):
                t0 = time.perf_counter()
                term.keys("-l", "¤")
                term.wait(lambda s, n=i + 1: s.count("¤") >= n or "│ ready" in s, timeout=10)
                if "generating" not in term.screen():
                    break
                delays.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)
            if delays:
                out["echo_p50"] = statistics.median(delays)
                out["echo_p95"] = sorted(delays)[max(0, round(0.95 * len(delays)) - 1)]
                out["echo_n"] = len(delays)
            term.keys("Escape")
    finally:
        term.stop()
    return out


def launch_round(command: str, marker: str, env: dict[str, str]) -> float:
    term = Terminal(f"qpl{os.getpid()}", env)
    try:
        started = term.start(command)
        term.wait(lambda s: marker in s, timeout=60)
        return time.perf_counter() - started
    finally:
        term.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path)
    ap.add_argument("--tokens", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--echo-keys", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="tiny model, one round: a smoke test")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.tokens, args.rounds, args.echo_keys = min(args.tokens, 40), 1, 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or build_model(folder, args.quick)
        doc = folder / "launch.md"
        lines = [f"Line {i}: the sea was slow and grey." for i in range(200)]
        doc.write_text("\n".join(lines) + "\nTHE END\n")
        minimal = folder / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        env = {**os.environ, "TERM": "xterm-256color"}
        rounds: dict[str, list[float]] = {
            k: [] for k in ("bare", "app", "echo_p50", "echo_p95", "launch", "minimal", "rss")
        }
        for r in range(args.rounds):
            rounds["bare"].append(bare_rate(model, args.tokens))
            run = app_round(model, args.tokens, folder / f"home{r}", args.echo_keys)
            rounds["app"].append(run["generated"] / run["seconds"])
            if "echo_p95" in run:
                rounds["echo_p50"].append(run["echo_p50"])
                rounds["echo_p95"].append(run["echo_p95"])
            rounds["rss"].append(run["rss_all"])
            launch_env = {**env, "XDG_STATE_HOME": str(folder / f"lstate{r}")}
            rounds["launch"].append(
                launch_round(f"{QUILLPEN} {doc} --model {model}", "THE END", launch_env)
            )
            rounds["minimal"].append(
                launch_round(f"{sys.executable} {minimal} {doc}", "THE END", launch_env)
            )
        med = {k: statistics.median(v) if v else float("nan") for k, v in rounds.items()}
        result = {
            "rounds": args.rounds,
            "tokens": args.tokens,
            "bare_tok_s": round(med["bare"], 1),
            "app_tok_s": round(med["app"], 1),
            "stream_ratio": round(med["app"] / med["bare"], 3),
            "echo_p50_ms": round(med["echo_p50"], 1),
            "echo_p95_ms": round(med["echo_p95"], 1),
            "launch_s": round(med["launch"], 3),
            "minimal_launch_s": round(med["minimal"], 3),
            "launch_ratio": round(med["launch"] / med["minimal"], 3),
            "rss_mb": round(med["rss"], 1),
        }
    if args.json:
        print(json.dumps(result))
        return
    print(f"medians of {args.rounds} interleaved rounds, tmux 80x24, {args.tokens} tokens")
    print(
        f"stream  app {result['app_tok_s']} tok/s vs bare {result['bare_tok_s']} tok/s: "
        f"{result['stream_ratio']:.2f}x (target >= 0.85)"
    )
    print(
        f"echo    while streaming: p50 {result['echo_p50_ms']} ms, "
        f"p95 {result['echo_p95_ms']} ms (target <= 40)"
    )
    print(
        f"launch  {result['launch_s']} s vs minimal Textual app {result['minimal_launch_s']} s: "
        f"{result['launch_ratio']:.2f}x (target <= 1.1)"
    )
    print(f"memory  UI + engine, model loaded, idle: {result['rss_mb']} MB (target <= 300)")


if __name__ == "__main__":
    main()
