"""The `quillpen` command: the app, and `models`, `generate`, `doctor` for scripts."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import QuillpenError
from tui import __version__
from tui.cli.common import _count, _err, _remote, near_miss

if TYPE_CHECKING:
    from tui.config import Settings

SUBCOMMANDS = (
    "models",
    "generate",
    "score",
    "doctor",
    "poem",
    "export",
    "branches",
    "spell",
    "voice",
)


def _gpu_layers(value: str) -> int | str:
    if value in ("auto", "all"):
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("takes a number of layers, 'auto' or 'all'") from None


def _cpu_repack(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cpu-repack",
        choices=("auto", "on", "off"),
        default=None,
        help="llama.cpp's AMX/repack weight buffers: auto (default: probe once on CPUs with "
        "AMX), on, or off (safe mode)",
    )


def _alternatives(value: str) -> int:
    from models.local.llama_model import MAX_SEQUENCES

    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_SEQUENCES:
        raise argparse.ArgumentTypeError(f"takes a number from 1 to {MAX_SEQUENCES}")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline",
        action="store_true",
        help="make no network connections (also HF_HUB_OFFLINE=1)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log in detail: to stderr, or from the app to quillpen.log in the state folder",
    )


def app_parser(commands: bool = False) -> argparse.ArgumentParser:
    """The app's options; with ``commands`` (for --help) a list of the subcommands too."""
    p = argparse.ArgumentParser(
        prog="quillpen",
        description="A terminal writing assistant that runs GPT-2 on your machine.",
        epilog=_commands_list() if commands else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="the document to open (created on save); FILE:LINE or FILE:LINE:COLUMN opens there",
    )
    p.add_argument("--model", help="catalog name, owner/repo, or a .gguf path")
    p.add_argument(
        "--gpu-layers",
        type=_gpu_layers,
        default=None,
        help="layers on the GPU: a number, auto (all if it fits) or all",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for the model (default: all available but one, for the UI)",
    )
    p.add_argument("--version", action="version", version=f"quillpen {__version__}")
    _engine_option(p)
    _cpu_repack(p)
    _common(p)
    return p


def _commands_list() -> str:
    """Every subcommand with its one-line help, as ``quillpen --help`` ends."""
    sub = next(a for a in tool_parser()._actions if isinstance(a, argparse._SubParsersAction))
    lines = [f"  {a.dest:<10} {a.help}" for a in sub._choices_actions]
    return "commands (quillpen COMMAND --help for each):\n" + "\n".join(lines)


def _engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        metavar="URL|NAME",
        help="a remote OpenAI-compatible server (http://host:8000/v1), a name from [engines] "
        "in config.toml, or 'local' (docs/remote.md)",
    )


def tool_parser() -> argparse.ArgumentParser:
    from models.hub import catalog

    p = argparse.ArgumentParser(prog="quillpen")
    sub = p.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="download, convert, list and remove models")
    msub = models.add_subparsers(dest="action", required=True)
    pull = msub.add_parser("pull", help="download a model and make it ready (prints its path)")
    pull.add_argument("name", nargs="?", default=catalog.DEFAULT_MODEL)
    pull.add_argument("--quant", default=catalog.DEFAULT_QUANT, help="Q4_K_M, Q5_K_M, Q8_0 or F16")
    pull.add_argument("--source", default="official", choices=("official", "gguf"))
    _common(pull)
    lst = msub.add_parser("list", help="models ready to use")
    lst.add_argument(
        "--catalog", action="store_true", help="the models `pull` knows, with their language"
    )
    _common(lst)
    rm = msub.add_parser("rm", help="delete a downloaded model")
    rm.add_argument("name")
    _common(rm)
    conv = msub.add_parser("convert", help="convert a local GPT-2 checkpoint to GGUF")
    conv.add_argument("src", type=Path)
    conv.add_argument("--out", type=Path, required=True)
    conv.add_argument("--type", default="f16", choices=("f32", "f16", "q8_0", "q4_k_m", "q5_k_m"))
    _common(conv)

    gen = sub.add_parser("generate", help="continue PROMPT and stream it to stdout")
    gen.add_argument("prompt", nargs="?", help="the text to continue (default: read stdin)")
    gen.add_argument("--model", default=catalog.DEFAULT_MODEL)
    gen.add_argument(
        "--max-tokens", type=_count, default=80, help="at most this many tokens (0: none)"
    )
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--top-p", type=float)
    gen.add_argument("--top-k", type=int)
    gen.add_argument("--min-p", type=float)
    gen.add_argument("--repeat-penalty", type=float)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--stop", action="append", default=[], help="stop before this text")
    gen.add_argument(
        "-n",
        type=_alternatives,
        default=1,
        help="write N continuations at once, in one batch (seeds SEED, SEED+1, …)",
    )
    gen.add_argument(
        "--ban",
        action="append",
        default=[],
        metavar="PHRASE",
        help="never write this phrase (case-sensitive; repeatable)",
    )
    gen.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"texts", "tokens" (each with id, prob and rank, or '
        'rank_at_least where a server knows only a bound), "seconds"}',
    )
    gen.add_argument("--gpu-layers", type=_gpu_layers, default=None)
    gen.add_argument("--threads", type=int, default=None)
    _engine_option(gen)
    _cpu_repack(gen)
    _common(gen)

    score = sub.add_parser(
        "score", help="how likely the model finds each token of a text (one JSON line each)"
    )
    score.add_argument("file", help="the text to score, or - for stdin")
    score.add_argument("--model", default=catalog.DEFAULT_MODEL)
    score.add_argument(
        "--top", type=_count, default=10, help="alternatives listed per token (default 10)"
    )
    score.add_argument("--gpu-layers", type=_gpu_layers, default=None)
    score.add_argument("--threads", type=int, default=None)
    _cpu_repack(score)
    _common(score)

    from tui.cli.poem import poem_parser

    poem_parser(sub, _common, _count)
    from tui.cli.export import export_parser

    _common(export_parser(sub))
    from tui.cli.branches import branches_parser

    _common(branches_parser(sub))
    from tui.cli.spell import spell_parser

    spell_parser(sub, _common)

    from tui.cli.voice import voice_parser

    voice_parser(sub, _common)

    doctor = sub.add_parser("doctor", help="versions, paths, models and GPU support")
    _cpu_repack(doctor)
    _common(doctor)
    return p


def _setup(args: argparse.Namespace, *, app: bool = False) -> Settings:
    """Offline mode and logging; returns the settings (config.toml), read once."""
    from models import locations
    from models.child_python import quiet_native_aborts
    from models.hub.offline import set_offline
    from models.redaction import RedactingFilter
    from tui import config

    quiet_native_aborts()
    settings = config.load()
    set_offline(args.offline or settings.offline)  # --offline, HF_HUB_OFFLINE or config
    if not app:  # (the app shows them as notices)
        for warning in settings.warnings:
            _err(warning)
    if not args.verbose:
        # huggingface_hub prints its retries itself; we print one clear line instead.
        os.environ.setdefault("HF_HUB_VERBOSITY", "error")
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    if app and args.verbose:  # the app owns the terminal: its log goes to a file
        log_file = locations.private_file(locations.state_dir() / "quillpen.log")
        handler = logging.FileHandler(log_file, encoding="utf-8")
        print(f"quillpen: logging to {log_file}", file=sys.stderr)
    handler.addFilter(RedactingFilter())  # the API key, even in httpcore's header dumps
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        if app
        else "%(levelname)s %(name)s: %(message)s",
        handlers=[handler],
    )
    # llama.cpp's own error lines would add to (or, in the app, draw over) our one clear line;
    # Engine.load puts their reason in its message. -v shows them all.
    logging.getLogger("llama_cpp").setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)
    return settings


def run_app(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Run the app; a dropped terminal ends it within 2 s (:mod:`tui.hangup`).

    No garbage collection until the document is on screen: start-up (imports, widgets, styles)
    allocates hundreds of thousands of objects and frees few, and the collections it would
    trigger cost 30-50 ms of a 0.4 s launch (docs/performance.md). What start-up built is then
    frozen (``gc.freeze``): later collections, while the writer types, no longer walk it.
    """
    gc.disable()
    from tui import hangup
    from tui.app import QuillpenApp
    from tui.find import split_file_line

    _remote(args)  # an unknown engine name is a usage error, before the screen opens
    file, start = split_file_line(args.file) if args.file else (None, None)
    app = QuillpenApp(
        file,
        model=args.model,
        gpu_layers=args.gpu_layers,
        threads=args.threads,
        cpu_repack=args.cpu_repack,
        engine=args.engine,
        settings=settings,
    )
    app.after_first_frame.append(_collect_from_now_on)
    if start is not None:  # FILE:LINE
        from tui.widgets.find_marks import go_to

        app.after_first_frame.append(lambda: go_to(app.editor, start))
    with hangup.guard(app):
        app.run()
    return hangup.leave_now_if_threads_linger(app.return_code or 0)


def _collect_from_now_on() -> None:
    gc.freeze()
    gc.enable()


def _end_jobs_on_hangup() -> None:
    """A dropped terminal or SIGTERM during `models pull|convert`: end the convert or quantize
    child (it runs in its own session), remove its partial file and a download's, then go."""
    import signal

    from models.hub import child_job, partial_downloads

    def handler(signum: int, frame: object) -> None:
        child_job.end_all()
        partial_downloads.end_all()
        os._exit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return _main(argv, tool=True)
    if argv and not Path(argv[0]).exists() and (meant := near_miss(argv[0], SUBCOMMANDS)):
        _err(f"no command {argv[0]!r}: did you mean {meant!r}? (a new file: ./{argv[0]})")
        return 2
    gc.disable()  # until the document is on screen (run_app), from the settings' imports on
    try:
        return _main(argv, tool=False)
    finally:
        gc.enable()  # (already on once the app drew its first frame)


def _main(argv: list[str], *, tool: bool) -> int:
    helping = "-h" in argv or "--help" in argv
    args = (tool_parser() if tool else app_parser(commands=helping)).parse_args(argv)
    settings = _setup(args, app=not tool)
    if tool:
        _end_jobs_on_hangup()
    try:
        if not tool:
            return run_app(args, settings)
        from tui.cli import branches as cli_branches
        from tui.cli import export as cli_export
        from tui.cli import generate as cli_generate
        from tui.cli import models as cli_models
        from tui.cli import poem as cli_poem
        from tui.cli import spell as cli_spell
        from tui.cli import voice as cli_voice

        handler = {
            "models": cli_models.cmd_models,
            "generate": cli_generate.cmd_generate,
            "score": cli_generate.cmd_score,
            "doctor": cli_models.cmd_doctor,
            "poem": cli_poem.cmd_poem,
            "export": cli_export.cmd_export,
            "branches": cli_branches.cmd_branches,
            "spell": cli_spell.cmd_spell,
            "voice": cli_voice.cmd_voice,
        }
        return handler[args.command](args)
    except QuillpenError as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
