"""`quillpen voice train|report`: teach GPT-2 the writer's voice, and measure it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.errors import QuillpenError


def _share(value: str) -> float:
    try:
        number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    except ValueError:
        number = -1
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError("takes a share from 0 to 0.9 (or a percentage)")
    return number


class _Intermixed(argparse.ArgumentParser):
    """Options may come between NAME and the paths (``train NAME --base gpt2 poems/``)."""

    _mixing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        if self._mixing:
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def voice_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    voice = sub.add_parser("voice", help="teach a model the writer's voice (fine-tuning)")
    vsub = voice.add_subparsers(dest="action", required=True, parser_class=_Intermixed)
    train = vsub.add_parser("train", help="fine-tune a base model on your texts (needs [voice])")
    train.add_argument("name", help="the new model's name (for --model NAME)")
    train.add_argument("paths", nargs="*", type=Path, help=".txt/.md files or folders")
    train.add_argument(
        "--base", default="gpt2", help="catalog name, Hub repo id or checkpoint folder"
    )
    train.add_argument("--full", action="store_true", help="a full fine-tune (default: LoRA r=16)")
    train.add_argument("--epochs", type=float, default=None, help="passes over the texts (3)")
    train.add_argument("--minutes", type=float, default=0.0, help="a time budget for training")
    train.add_argument(
        "--lr", type=float, default=None, help="learning rate (LoRA 5e-4, full 5e-5)"
    )
    train.add_argument("--holdout", type=_share, default=0.15, help="share of pieces held out")
    train.add_argument(
        "--quant", default=None, help="Q4_K_M, Q5_K_M, Q8_0, F16 or F32 (default: the base's)"
    )
    train.add_argument("--window", type=int, default=256, help="tokens per training window")
    train.add_argument(
        "--sample-every", type=int, default=0, metavar="N", help="print a sample every N steps"
    )
    train.add_argument("--eval-every", type=int, default=None, metavar="N", help=argparse.SUPPRESS)
    train.add_argument(
        "--patience", type=int, default=3, help="evaluations without improvement before stopping"
    )
    train.add_argument("--adapter", action="store_true", help="also keep a GGUF LoRA adapter")
    train.add_argument(
        "--resume", action="store_true", help="continue NAME from its last checkpoint"
    )
    train.add_argument(
        "--device", default="auto", choices=("auto", "cpu", "gpu"), help="docs/gpu.md"
    )
    train.add_argument("--checkpoint-seconds", type=float, default=120.0, help=argparse.SUPPRESS)
    train.add_argument("--events", action="store_true", help=argparse.SUPPRESS)
    """(The app's form: JSON events on stdout, at low priority.)"""
    common(train)
    report = vsub.add_parser("report", help="held-out perplexity, base against tuned")
    report.add_argument("name")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.add_argument("--samples", type=int, default=20, help=argparse.SUPPRESS)
    common(report)


def cmd_voice(args: argparse.Namespace) -> int:
    if args.action == "report":
        return _report(args)
    return _train(args)


def _train(args: argparse.Namespace) -> int:
    from models.voice import teach

    teach.require_library()
    say: Callable[[str], None] = lambda m: print(m, file=sys.stderr)  # noqa: E731
    show: Callable[[dict[str, Any]], None] = Progress(sys.stderr).show
    if args.events:  # run by the app (tui.voice_job): everything as JSON lines, niced
        os.nice(10)

        def show(event: dict[str, Any]) -> None:
            print(json.dumps(event), flush=True)

        say = lambda m: show({"event": "note", "text": m})  # noqa: E731
    options = {
        "patience": args.patience,
        "checkpoint_seconds": args.checkpoint_seconds,
        "device": args.device,
    }
    if args.resume:
        teach.resume_job(args.name, epochs=args.epochs, minutes=args.minutes or None)
        work = teach.place.workdir(args.name)
    else:
        if not args.paths:
            raise QuillpenError(
                "give the files or folders of your texts: quillpen voice train NAME PATH..."
            )
        prepared = teach.prepare(
            args.name,
            args.base,
            args.paths,
            full=args.full,
            holdout=args.holdout,
            epochs=args.epochs or 3.0,
            minutes=args.minutes,
            lr=args.lr,
            quant=args.quant,
            seq=args.window,
            sample_every=args.sample_every,
            eval_every=args.eval_every,
            notify=say,
            **options,
        )
        work = prepared.workdir
        say(
            f"{prepared.train_tokens} training tokens, {prepared.held_tokens} held out; "
            f"window {prepared.job.seq}; Ctrl+C stops and keeps the best checkpoint"
        )
    done = teach.run_training(work, show)
    if not args.events and sys.stderr.isatty():
        print(file=sys.stderr)  # (below the progress line)
    say(
        f"stopped ({done['reason']}) at step {done['step']}; best held-out step {done['best_step']}"
    )
    from models.voice.finish import finish

    path = finish(args.name, done, adapter=args.adapter, notify=say)
    if args.events:
        show({"event": "stored", "path": str(path)})
    else:
        print(path)
    return 0


class Progress:
    """One line rewritten in place on a terminal (a line per evaluation elsewhere)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.tty = out.isatty()
        self.held: float | None = None
        self.step: dict[str, Any] | None = None

    def show(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start" and event.get("resumed"):
            print(f"resuming at step {event['step']} of {event['total']}", file=self.out)
        elif kind == "device":
            print(f"training on {event['name']}", file=self.out)
        elif kind == "sample":
            self._line(f"--- sample at step {event['step']} ---\n{event['text']}\n---", final=True)
        elif kind == "step":
            self.step = event
            if self.tty:
                self._line(self._format())
        elif kind == "eval":
            self.held = event.get("held_loss")
            if self.step is not None:
                self._line(self._format(), final=not self.tty)

    def _format(self) -> str:
        event = self.step or {}
        held = f"{self.held:.3f}" if self.held is not None else "-"
        eta = int(event["eta_s"])
        return (
            f"step {event['step']}/{event['total']}  {event['tok_s']:.0f} tok/s  "
            f"loss {event['loss']:.3f}  held-out {held}  ETA {eta // 60}:{eta % 60:02d}"
        )

    def _line(self, text: str, final: bool = False) -> None:
        if self.tty:
            self.out.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()


def _report(args: argparse.Namespace) -> int:
    from models.voice import report

    result = report.build(args.name, samples=args.samples)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for line in report.describe(result):
            print(line)
    return 0
