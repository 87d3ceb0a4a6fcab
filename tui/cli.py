"""The `quillpen` command: the app, and `models`, `generate`, `doctor` for scripts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models import catalog
from models.errors import QuillpenError
from tui import __version__

if TYPE_CHECKING:
    from models.engine import Engine

SUBCOMMANDS = ("models", "generate", "score", "doctor", "poem")


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


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError("takes a whole number, 0 or more")
    return number


def _alternatives(value: str) -> int:
    from models.engine import MAX_SEQUENCES

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
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")


def app_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="quillpen",
        description="A terminal writing assistant that runs GPT-2 on your machine. "
        "Other commands: quillpen models|generate|doctor --help",
    )
    p.add_argument("file", nargs="?", type=Path, help="the document to open (created on save)")
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


def _engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        metavar="URL|NAME",
        help="a remote OpenAI-compatible server (http://host:8000/v1), a name from [engines] "
        "in config.toml, or 'local' (docs/remote.md)",
    )


def _remote(args: argparse.Namespace) -> Any:
    """The remote engine ``--engine`` (or the config) names, or None; a bad name exits 2."""
    from tui import config

    try:
        return config.remote_target(getattr(args, "engine", None), config.load())
    except ValueError as exc:
        print(f"quillpen: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def tool_parser() -> argparse.ArgumentParser:
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
        help='print one JSON object: {"texts", "tokens" (each with id, prob, rank), "seconds"}',
    )
    gen.add_argument("--gpu-layers", type=_gpu_layers, default=None)
    gen.add_argument("--threads", type=int, default=None)
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

    _poem_parser(sub)

    doctor = sub.add_parser("doctor", help="versions, paths, models and GPU support")
    _cpu_repack(doctor)
    _common(doctor)
    return p


def _err(msg: str) -> None:
    print(f"quillpen: {msg}", file=sys.stderr)


def _setup(args: argparse.Namespace, *, app: bool = False) -> None:
    from models import locations
    from models.hub import set_offline
    from tui import config

    set_offline(args.offline or config.load().offline)  # --offline, HF_HUB_OFFLINE or config
    if not args.verbose:
        # huggingface_hub prints its retries itself; we print one clear line instead.
        os.environ.setdefault("HF_HUB_VERBOSITY", "error")
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    if app and args.verbose:  # the app owns the terminal: its log goes to a file
        log_file = locations.state_dir() / "quillpen.log"
        handler = logging.FileHandler(log_file, encoding="utf-8")
        print(f"quillpen: logging to {log_file}", file=sys.stderr)
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


def cmd_models(args: argparse.Namespace) -> int:
    from models import hub, store

    if args.action == "pull":
        path = hub.pull(
            args.name,
            quant=args.quant,
            source=args.source,
            notify=lambda m: print(m, file=sys.stderr),
        )
        print(path)
    elif args.action == "list" and args.catalog:
        for spec in catalog.CATALOG.values():
            print(f"{spec.name:<24} {spec.language:<3} {spec.params:>6}  {spec.repo_id}")
    elif args.action == "list":
        models = store.list_local()
        if not models:
            print("no models yet: run `quillpen models pull` (default: gpt2, Q4_K_M)")
        for m in models:
            lang = catalog.language_of(m.name) or "?"
            print(f"{m.name:<24} {lang:<3} {m.quant:<8} {m.size_text:>9}  {m.path}")
    elif args.action == "rm":
        for path in store.remove(args.name):
            print(f"removed {path}")
    elif args.action == "convert":
        return _convert(args)
    return 0


def _convert(args: argparse.Namespace) -> int:
    from models import convert, quantize

    kind = args.type.lower()
    out: Path = args.out
    if kind in ("f32", "f16", "q8_0"):
        convert.convert(args.src, out, kind)
    else:
        config = convert.GPT2Config.read(args.src / "config.json")
        quant, notice = quantize.effective_quant(kind, config.n_embd)
        if notice:
            print(notice, file=sys.stderr)
        f16 = out.with_name(out.name + ".f16.tmp")
        try:
            convert.convert(args.src, f16, "f16")
            quantize.quantize(f16, out, quant)
        finally:
            f16.unlink(missing_ok=True)
    print(out)
    return 0


def _load_engine(args: argparse.Namespace) -> Engine:
    """The model ``--model`` names, loaded for ``generate`` or ``score``."""
    from models import store
    from models.cpu_probe import decide
    from models.engine import Engine

    path = store.resolve(args.model)
    repack = decide(_repack_setting(args))
    engine = Engine.load(
        path, gpu_layers=args.gpu_layers, threads=args.threads, extra_bufts=repack.extra_bufts
    )
    if repack.news:
        _err(repack.reason)
    for notice in engine.notices:
        _err(notice)
    return engine


def cmd_generate(args: argparse.Namespace) -> int:
    from models import store
    from models.sampling import SamplerSettings
    from models.text import printable

    try:
        prompt = args.prompt if args.prompt is not None else sys.stdin.read()
        prompt.encode("utf-8")  # undecodable bytes arrive as surrogates (argv, C locale)
    except UnicodeError:
        raise QuillpenError("the prompt is not UTF-8 text") from None
    if args.max_tokens == 0:
        store.resolve(args.model)  # nothing to write (the model is still checked to exist)
        if args.json:
            print(json.dumps({"texts": [""] * args.n, "tokens": [[]] * args.n, "seconds": 0.0}))
        return 0
    engine = _load_engine(args)
    settings = SamplerSettings().with_(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        min_p=args.min_p,
        repeat_penalty=args.repeat_penalty,
        seed=args.seed,
    )
    tokens = engine.tokenize(prompt)
    if len(tokens) > engine.n_ctx_train:
        _err(
            f"the prompt is longer than the model's {engine.n_ctx_train}-token window: "
            "using its end"
        )
    out = sys.stdout
    if args.n == 1 and not args.ban and not args.json:  # the plain stream, as always
        for piece in engine.stream(tokens, settings, max_tokens=args.max_tokens, stop=args.stop):
            out.write(printable(piece))
            out.flush()
        out.write("\n")
        engine.close()
        return 0
    texts: list[list[str]] = [[] for _ in range(args.n)]
    found: list[list[dict[str, object]]] = [[] for _ in range(args.n)]
    for part in engine.generate(
        tokens,
        settings,
        n=args.n,
        max_tokens=args.max_tokens,
        stop=args.stop,
        bans=args.ban,
        probabilities=1 if args.json else 0,
    ):
        if args.n == 1 and not args.json:
            out.write(printable(part.text))
            out.flush()
        texts[part.seq].append(part.text)
        found[part.seq] += [t.as_json(top=False) for t in part.tokens]
    if args.json:
        result = {"texts": ["".join(t) for t in texts], "tokens": found}
        json.dump(result | {"seconds": engine.last_stats.seconds}, out, ensure_ascii=False)
    elif args.n > 1:  # one block each, after they are all written
        out.write(
            "\n\n".join(f"── {i} ──\n{printable(''.join(t))}" for i, t in enumerate(texts, 1))
        )
    out.write("\n")
    engine.close()
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            text = sys.stdin.read()
            text.encode("utf-8")
        else:
            text = Path(args.file).read_text(encoding="utf-8")
    except UnicodeError:
        raise QuillpenError(f"{args.file}: not UTF-8 text") from None
    except OSError as exc:
        raise QuillpenError(f"{args.file}: {exc.strerror or exc}") from None
    engine = _load_engine(args)
    out = sys.stdout
    for i, token in enumerate(engine.score(text, args.top)):
        out.write(json.dumps(token.as_json(i), ensure_ascii=False) + "\n")
    engine.close()
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from models import locations, store
    from models.cpu_probe import decide
    from models.engine import available_threads
    from models.hub import is_offline

    print(f"quillpen {__version__} on Python {platform.python_version()} ({platform.platform()})")
    for pkg in ("llama-cpp-python", "textual", "huggingface-hub", "gguf", "numpy", "platformdirs"):
        try:
            print(f"  {pkg:<18} {version(pkg)}")
        except PackageNotFoundError:
            print(f"  {pkg:<18} missing")
    for key, value in locations.describe().items():
        print(f"{key + ':':<12} {value}")
    print(f"offline:     {'yes' if is_offline() else 'no'}")
    print(f"threads:     {available_threads()} available to this process")
    repack = decide(_repack_setting(args))
    print(f"cpu repack:  {repack.describe()}")
    if repack.reason:
        print(f"             {repack.reason}")
    from models import gpu

    found = gpu.devices()
    offload = "supported" if gpu.offload_supported() else "not in this build (docs/gpu.md)"
    print(f"backend:     {gpu.backend(found)} (GPU offload: {offload})")
    for device in found:
        memory = f", {device.memory_text}" if device.kind != "CPU" else ""
        print(f"  {device.name:<10} {device.kind:<12} {device.description}{memory}")
    models = store.list_local()
    print(f"models:      {len(models)} ready")
    for m in models:
        print(f"  {m.name:<22} {m.quant:<8} {m.size_text:>9}  {m.path}")
    return 0


def _poem_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from tui.poetry import FORMS

    poem = sub.add_parser("poem", help="syllables, stress, rhymes and form checks for poems")
    psub = poem.add_subparsers(dest="action", required=True)
    check = psub.add_parser("check", help="check a poem against a form (exit 0 only if it fits)")
    check.add_argument("file", help="the poem, or - for stdin")
    check.add_argument("--form", required=True, choices=tuple(FORMS))
    check.add_argument("--json", action="store_true", help="one JSON object, a record per line")
    rhymes = psub.add_parser("rhymes", help="rhymes for WORD, one a line, best first")
    rhymes.add_argument("word", help="an English word, or a Chinese character")
    rhymes.add_argument("--limit", type=_count, default=50, help="at most this many (0: all)")
    syllables = psub.add_parser("syllables", help="syllables and stress of each line")
    syllables.add_argument("file", help="the text, or - for stdin")
    syllables.add_argument("--json", action="store_true", help="a JSON list, a record per line")
    for parser in (check, rhymes, syllables):
        _common(parser)


def cmd_poem(args: argparse.Namespace) -> int:
    """`poem check` exits 0 when the poem fits the form, 1 when not, 2 when it can't read it."""
    import json

    from tui import poetry
    from tui.poetry import text as poem_text

    if args.action == "rhymes":
        found = poetry.rhymes(args.word, args.limit)
        if not found:
            _err(f"no rhymes found for {args.word!r}")
            return 1
        print("\n".join(found))
        return 0
    try:
        source = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}")
        return 2
    if args.action == "syllables":
        infos = [poetry.line_info(line) if line.strip() else None for line in source.splitlines()]
        if args.json:
            print(json.dumps(poem_text.syllables_json(infos), ensure_ascii=False, indent=2))
        else:
            print(poem_text.syllables_table(infos))
        return 0
    report = poetry.check(source, args.form)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(poem_text.report_table(report))
    return 0 if report.ok else 1


def _repack_setting(args: argparse.Namespace) -> str:
    """--cpu-repack, else config.toml's cpu_repack, else auto."""
    if args.cpu_repack:
        return str(args.cpu_repack)
    from tui import config

    return config.load().cpu_repack


def run_app(args: argparse.Namespace) -> int:
    """Run the app; a dropped terminal ends it within 2 s (:mod:`tui.hangup`)."""
    from tui import hangup
    from tui.app import QuillpenApp

    _remote(args)  # an unknown engine name is a usage error, before the screen opens
    app = QuillpenApp(
        args.file,
        model=args.model,
        gpu_layers=args.gpu_layers,
        threads=args.threads,
        cpu_repack=args.cpu_repack,
        engine=args.engine,
    )
    with hangup.guard(app):
        app.run()
    return hangup.leave_now_if_threads_linger(app.return_code or 0)


def _end_jobs_on_hangup() -> None:
    """A dropped terminal or SIGTERM during `models pull|convert`: end the convert or quantize
    child (it runs in its own session) and remove its partial file before going."""
    import signal

    from models import child_job

    def handler(signum: int, frame: object) -> None:
        child_job.end_all()
        os._exit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tool = bool(argv) and argv[0] in SUBCOMMANDS
    args = (tool_parser() if tool else app_parser()).parse_args(argv)
    _setup(args, app=not tool)
    if tool:
        _end_jobs_on_hangup()
    try:
        if not tool:
            return run_app(args)
        handler = {
            "models": cmd_models,
            "generate": cmd_generate,
            "score": cmd_score,
            "doctor": cmd_doctor,
        }
        handler["poem"] = cmd_poem
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


if __name__ == "__main__":
    sys.exit(main())
