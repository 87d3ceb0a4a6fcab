"""What the user sees, in a real terminal (tmux 80×24), as ratios measured in one run.

    uv run python bench/terminal.py [--model M.gguf] [--tokens 300] [--rounds 3] [--quick]
    uv run python bench/terminal.py --only launch --rounds 5   # launch alone (tiny model)

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
import itertools
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
_sessions = itertools.count()
ECHO_CHARS = "¤§¶©®±÷þðæøåß¿¡µ¬°¦¨ÆØÅÞÐ¹²³¼½¾×"
MARKER = "0: the sea was slow"  # the first line of the launch document (its L is the cursor)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

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
    """A private tmux server with one 80×24 session, its output copied to a file.

    Waiting reads that copy (``pipe-pane``) in this process: polling ``capture-pane`` would
    start a tmux client every few milliseconds and take the CPU the app is measured on.
    """

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.env, self.log = name, env, log
        self._seen = b""

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, env=self.env
        ).stdout

    def start(self, command: str) -> float:
        self.log.write_bytes(b"")
        started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "b", "-x", "80", "-y", "24", f"sleep 0.05; {command}")
        self.tmux("pipe-pane", "-t", "b", "-o", f"cat >> {self.log}")
        self._file = self.log.open("rb")
        return started

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "b", *keys)

    def mark(self) -> None:
        """Forget the output so far: the next :meth:`expect` looks only at what follows."""
        self._file.read()
        self._seen = b""

    def expect(self, needle: str, timeout: float = 60.0, poll: float = 0.002) -> float:
        """Wait until ``needle`` is written to the terminal; the time it was seen (to within
        ``poll`` seconds: a slower poll wakes this process less while the engine is timed)."""
        target = needle.encode()
        deadline = time.monotonic() + timeout
        while True:
            self._seen += self._file.read()
            index = self._seen.find(target)
            if index >= 0:
                now = time.perf_counter()
                self._seen = self._seen[index + len(target) :]
                return now
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} not written; screen was:\n{self.screen()}")
            self._seen = self._seen[-len(target) :]
            time.sleep(poll)

    def stop(self) -> None:
        """Close the terminal (the app gets SIGHUP) and check that nothing of it lives on."""
        try:
            pids = [self.pane_pid(), *descendants(self.pane_pid())]
        except (ValueError, IndexError, OSError):
            pids = []
        self.tmux("kill-server")
        deadline = time.monotonic() + 3
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.02)
        for pid in filter(_alive, pids):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
            print(f"warning: {pid} ({cmd.decode()}) outlived its terminal", file=sys.stderr)
            os.kill(pid, 9)

    def pane_pid(self) -> int:
        return int(self.tmux("list-panes", "-t", "b", "-F", "#{pane_pid}").split()[0])


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *descendants(int(child))]
    return out


def app_process(pane_pid: int) -> int:
    """The quillpen UI process: the pane's process or its child (a shell may sit between)."""
    for pid in [pane_pid, *descendants(pane_pid)]:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"quillpen" in cmdline and b"engine_process" not in cmdline:
            return pid
    raise RuntimeError("no quillpen process in the pane")


def build_model(folder: Path, quick: bool) -> Path:
    from models.hub.convert import convert
    from models.hub.quantize import quantize
    from tests.support.tinymodel import make_checkpoint

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
    from stream_rate import bare_rate as bare

    from models.stats import available_threads

    return bare(model, tokens, available_threads())


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
    term = Terminal(f"qpb{os.getpid()}-{next(_sessions)}", env, home / "tty.log")
    try:
        term.start(f"{QUILLPEN} {story} --model {model}")
        term.expect("ready")
        app_pid = app_process(term.pane_pid())
        time.sleep(1.0)  # idle
        pids = [app_pid, *descendants(app_pid)]
        out["rss_ui"] = rss_mb(app_pid)
        out["rss_all"] = sum(rss_mb(p) for p in pids)
        term.keys("-l", PROMPT)
        term.expect(f"{len(PROMPT.split())} words")
        time.sleep(0.3)
        before = _ctx(term.screen())
        term.mark()
        engine_pid = descendants(app_pid)[0]
        cpu_before = {
            name: cpu_seconds(pid) for name, pid in (("ui", app_pid), ("engine", engine_pid))
        }
        start = time.perf_counter()
        term.keys("Tab")
        try:
            term.expect("generating", timeout=30 if tokens > 50 else 5, poll=0.02)
            end = term.expect("ready", timeout=300, poll=0.02)
        except TimeoutError:  # a quick run's short stream may end between two frames
            if _ctx(term.screen()) <= before:
                raise
            end = time.perf_counter()
        out["seconds"] = end - start
        for name, pid in (("ui", app_pid), ("engine", engine_pid)):
            out[f"cpu_{name}"] = (cpu_seconds(pid) - cpu_before[name]) / out["seconds"]
        after = term.screen()
        out["generated"] = _ctx(after) - before - _prompt_tokens(model)
        if echo_keys:
            idle = _echo(term, ECHO_CHARS[:echo_keys], streaming=False)
            term.keys("Tab")  # a second continuation; type at the top while it streams on
            try:  # (a quick run's short stream may end before a poll sees it)
                term.expect("generating", timeout=5)
            except TimeoutError:
                busy: list[float] = []
            else:
                term.keys("C-Home")  # (typing where the model writes would take over: it stops)
                busy = _echo(term, ECHO_CHARS[echo_keys : 2 * echo_keys], streaming=True)
            term.keys("Escape")
            for name, delays in (("echo", busy), ("idle_echo", idle)):
                if delays:
                    out[f"{name}_p50"] = statistics.median(delays)
                    out[f"{name}_p95"] = sorted(delays)[max(0, round(0.95 * len(delays)) - 1)]
    finally:
        term.stop()
    return out


def _echo(term: Terminal, chars: str, *, streaming: bool) -> list[float]:
    """Milliseconds from each key sent to its character written to the terminal."""
    delays = []
    for char in chars:
        term.mark()
        t0 = time.perf_counter()
        term.keys("-l", char)
        seen = term.expect(char, timeout=10)
        if streaming and "generating" not in term.screen():
            break  # the continuation ended: later keys would measure an idle editor
        delays.append((seen - t0) * 1000)
        time.sleep(0.05)
    return delays


def _prompt_tokens(model: Path) -> int:
    from models.local.engine import Engine

    engine = Engine.load(model, threads=1)
    try:
        return len(engine.tokenize(PROMPT))
    finally:
        engine.close()


def launch_files(folder: Path) -> tuple[Path, Path]:
    """The document both apps open at launch (200 lines; its first line is ``MARKER``), and
    the minimal Textual app that shows it."""
    doc = folder / "launch.md"
    lines = [f"Line {i}: the sea was slow and grey." for i in range(200)]
    doc.write_text("\n".join(lines) + "\nTHE END\n")
    minimal = folder / "minimal.py"
    minimal.write_text(MINIMAL_APP)
    return doc, minimal


def launch_round(command: str, marker: str, env: dict[str, str], log: Path) -> float:
    term = Terminal(f"qpl{os.getpid()}-{next(_sessions)}", env, log)
    try:
        started = term.start(command)
        return term.expect(marker, timeout=60, poll=0.005) - started - 0.05  # less the sleep
    finally:
        term.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path)
    ap.add_argument("--tokens", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--echo-keys", type=int, default=15, help="at most 16")
    ap.add_argument("--launches", type=int, default=5, help="launches of each app per round")
    ap.add_argument("--quick", action="store_true", help="tiny model, one round: a smoke test")
    ap.add_argument(
        "--only",
        choices=("launch",),
        help="launch: only the launch measure (the app against the minimal Textual app), with "
        "a tiny model unless --model is given (the model loads after the first frame)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each round")
    args = ap.parse_args()
    if args.quick:
        args.tokens, args.rounds, args.echo_keys, args.launches = min(args.tokens, 40), 1, 2, 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or build_model(folder, args.quick or args.only == "launch")
        doc, minimal = launch_files(folder)
        env = {**os.environ, "TERM": "xterm-256color"}
        # As a user's machine runs it: Python keeps the bytecode of quillpen's own modules (an
        # editable install, so uv's compile-bytecode does not reach them) after the first start.
        # These machines set PYTHONDONTWRITEBYTECODE, which compiles them at every start.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        launch_round(f"{QUILLPEN} {doc} --model {model}", MARKER, env, folder / "w.log")
        rounds: dict[str, list[float]] = {
            k: [] for k in ("bare", "app", "echo_p50", "echo_p95", "launch", "minimal", "rss")
        }
        for r in range(args.rounds):
            if args.only != "launch":
                rounds["bare"].append(bare_rate(model, args.tokens))
                run = app_round(model, args.tokens, folder / f"home{r}", args.echo_keys)
                rounds["app"].append(run["generated"] / run["seconds"])
                if args.verbose:
                    print("round", run, file=sys.stderr)
                if "echo_p95" in run:
                    rounds["echo_p50"].append(run["echo_p50"])
                    rounds["echo_p95"].append(run["echo_p95"])
                rounds["rss"].append(run["rss_all"])
            launch_env = {**env, "XDG_STATE_HOME": str(folder / f"lstate{r}")}
            for _ in range(args.launches):  # short and noisy: several, interleaved
                rounds["launch"].append(
                    launch_round(
                        f"{QUILLPEN} {doc} --model {model}", MARKER, launch_env, folder / "l.log"
                    )
                )
                rounds["minimal"].append(
                    launch_round(
                        f"{sys.executable} {minimal} {doc}", MARKER, launch_env, folder / "m.log"
                    )
                )
        med = {k: statistics.median(v) if v else float("nan") for k, v in rounds.items()}
        n = args.launches
        per_round = [  # each round's median ratio: the spread between rounds
            statistics.median(rounds["launch"][i : i + n])
            / statistics.median(rounds["minimal"][i : i + n])
            for i in range(0, len(rounds["launch"]), n)
        ]
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
            "launch_ratio_rounds": [round(x, 3) for x in per_round],
            "rss_mb": round(med["rss"], 1),
        }
    if args.json:
        print(json.dumps(result))
        return
    launch = (
        f"launch  {result['launch_s']} s vs minimal Textual app {result['minimal_launch_s']} s: "
        f"{result['launch_ratio']:.2f}x (target <= 1.1); rounds "
        + ", ".join(f"{x:.2f}x" for x in result["launch_ratio_rounds"])
    )
    if args.only == "launch":
        print(f"medians of {args.rounds} rounds of {args.launches} interleaved launches each")
        print(launch)
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
    print(launch)
    print(f"memory  UI + engine, model loaded, idle: {result['rss_mb']} MB (target <= 300)")


if __name__ == "__main__":
    main()
