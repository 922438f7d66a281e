"""Editorial `dramascore` commands: ``rescore``, ``show``, ``correct`` and ``corrections``.

`register(subparsers, add)` adds them to the main parser (``aggregator.cli.build_parser``). Commands that
write go through `write_with_retry`, the one place that commits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy import select

from aggregator.scoring import SETTINGS, Params
from aggregator.store.models import CORRECTION_KINDS, Source

DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"
SET_HELP = "scoring setting override, e.g. DRAMASCORE_SCORE_PRIOR_WEIGHT=10 (repeatable)"
EXAMPLES = {
    "rescore": "example: dramascore rescore --db sqlite:///reviews.db",
    "show": 'example: dramascore show "Soundtrack #1"',
    "correct": 'example: dramascore correct exclude_review --review 42 --editor ana --reason "spam, not a review"',
    "corrections": "example: dramascore corrections --limit 20",
}
KIND_HELP = {
    "exclude_review": "--review: leave that review out of the score",
    "split_duplicate": "--review, --other-review: the two are not duplicates",
    "force_duplicate": "--review is a duplicate of --other-review",
    "merge_dramas": "--drama is the same show as --other-drama (its reviews count there)",
    "split_drama": "--review (repeat it) are another show: a new drama (--title, else '<title> (split)')",
    "source_weight": "--source, --value: the source's weight in the score (0 mutes it)",
    "override_inferred": "--review, --value: use this 0-100 score instead of the one inferred from the text",
    "exclude_inferred": "--review (or none: every review): do not use inferred scores",
}


def _fail(message: object) -> int:
    print(f"dramascore: {message}", file=sys.stderr)
    return 2


def _params(args) -> Params:
    """Scoring parameters from the project settings (DRAMASCORE_SCORE_*) and ``-s`` overrides."""
    from aggregator.crawl import project_settings

    overrides = {}
    for pair in getattr(args, "set", None) or []:
        key, sep, value = pair.partition("=")
        if not sep or key not in SETTINGS:
            raise ValueError(f"-s wants a scoring setting NAME=VALUE ({', '.join(SETTINGS)}), got {pair!r}")
        overrides[key] = value
    return Params.from_settings(project_settings(overrides))


def _store(args):
    from aggregator.store.engine import make_engine, migrate, session_factory

    engine = make_engine(args.db)
    migrate(engine)
    return engine, session_factory(engine)


def cmd_rescore(args) -> int:
    from aggregator.store.consensus import rescore_all
    from aggregator.store.engine import write_with_retry

    try:
        params = _params(args)
    except ValueError as exc:
        return _fail(exc)
    engine, factory = _store(args)
    try:
        count = write_with_retry(factory, lambda s: rescore_all(s, params))
    finally:
        engine.dispose()
    prior = "the global mean" if params.prior_mean is None else f"{params.prior_mean:g}"
    print(f"rescored {count} drama(s) with {params.method} (prior weight {params.prior_weight:g}, prior mean {prior})")
    return 0


def cmd_show(args) -> int:
    from aggregator.report import format_report
    from aggregator.store.consensus import drama_report

    try:
        params = _params(args)
    except ValueError as exc:
        return _fail(exc)
    engine, factory = _store(args)
    try:
        with factory() as session:
            print(format_report(drama_report(session, args.drama, params)))
    except LookupError as exc:
        return _fail(exc.args[0] if exc.args else exc)
    finally:
        engine.dispose()
    return 0


def _correct(session, args, params: Params) -> tuple[str, list[str]]:
    """Record the correction and re-score what it affects; returns its description and the score changes."""
    from aggregator.report import describe
    from aggregator.store.consensus import find_drama
    from aggregator.store.editing import apply_correction

    reviews = args.review or []
    targets: dict = {"other_review_id": args.other_review, "value": args.value}
    if args.kind == "split_drama":
        targets["payload"] = {"review_ids": reviews, **({"title": args.title} if args.title else {})}
    elif len(reviews) > 1:
        raise ValueError(f"{args.kind} takes one --review (only split_drama takes several)")
    else:
        targets["review_id"] = reviews[0] if reviews else None
    if args.title and args.kind != "split_drama":
        raise ValueError("--title is for split_drama only")
    for flag, key in (("drama", "drama_id"), ("other_drama", "other_drama_id")):
        name = getattr(args, flag)
        targets[key] = find_drama(session, name).id if name else None
    if args.source:
        source = session.scalar(select(Source).where(Source.name == args.source))
        if source is None:
            known = ", ".join(session.scalars(select(Source.name).order_by(Source.name))) or "none yet"
            raise ValueError(f"no source called {args.source!r} (known: {known})")
        targets["source_id"] = source.id
    correction, changes = apply_correction(
        session, args.kind, editor=args.editor, reason=args.reason, params=params, **targets
    )
    lines = []
    for c in changes:
        after = "no score (merged away)" if c.merged_away else "-" if c.after is None else f"{c.after:.1f}"
        old = "-" if c.before is None else f"{c.before:.1f}"
        lines.append(f"  drama {c.drama_id} {c.title!r}: {old} -> {after}")
    return describe(correction), lines


def cmd_correct(args) -> int:
    from aggregator.store.engine import write_with_retry

    try:
        params = _params(args)
    except ValueError as exc:
        return _fail(exc)
    engine, factory = _store(args)
    try:
        text, changes = write_with_retry(factory, lambda s: _correct(s, args, params))
    except (ValueError, LookupError) as exc:
        return _fail(exc.args[0] if exc.args else exc)
    finally:
        engine.dispose()
    print(f"recorded {text}")
    print(f"re-scored {len(changes)} drama(s):" + ("\n" + "\n".join(changes) if changes else ""))
    return 0


def _revoke(session, args, params: Params) -> str:
    from aggregator.report import describe
    from aggregator.store.editing import apply_revocation

    correction, _ = apply_revocation(session, args.revoke, editor=args.editor or "", params=params)
    return describe(correction)


def cmd_corrections(args) -> int:
    from aggregator.report import format_corrections
    from aggregator.store.corrections import active_corrections, list_corrections
    from aggregator.store.engine import write_with_retry

    try:
        params = _params(args)
    except ValueError as exc:
        return _fail(exc)
    engine, factory = _store(args)
    try:
        if args.revoke is not None:
            text = write_with_retry(factory, lambda s: _revoke(s, args, params))
            print(f"revoked {text}")
        with factory() as session:
            rows = (
                active_corrections(session)[::-1][: args.limit]
                if args.active
                else list_corrections(session, args.limit)
            )
            print(format_corrections(rows))
    except (ValueError, LookupError) as exc:
        return _fail(exc.args[0] if exc.args else exc)
    finally:
        engine.dispose()
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser] | None = None) -> None:
    """Add ``rescore``, ``show``, ``correct`` and ``corrections`` to `subparsers` (via the main CLI's `add`)."""

    def make(name: str, help: str) -> argparse.ArgumentParser:
        try:
            parser = add(name, help) if add is not None else None
        except KeyError:  # the main CLI's `add` looks the epilog up in its own EXAMPLES: not ours
            parser = None
        if parser is None:
            parser = subparsers.add_parser(name, help=help, description=help)
        parser.epilog = EXAMPLES[name]
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", help=DB_HELP)
        parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help=SET_HELP)

    rescore = make("rescore", "Recompute the consensus score of every drama (after a crawl or a settings change).")
    common(rescore)
    rescore.set_defaults(func=cmd_rescore)

    show = make("show", "One drama's consensus: score, interval, bands, per source and episode, and its reviews.")
    show.add_argument("drama", metavar="TITLE_OR_ID", help="drama id, title or alias")
    common(show)
    show.set_defaults(func=cmd_show)

    correct = make("correct", "Record an editor's correction (who, why) and re-score the dramas it affects.")
    kinds = "\n".join(f"  {k}: {h}" for k, h in KIND_HELP.items())
    correct.epilog = f"kinds:\n{kinds}\n\n{EXAMPLES['correct']}"
    correct.add_argument("kind", choices=CORRECTION_KINDS, metavar="KIND", help="what to correct (kinds below)")
    correct.add_argument("--editor", required=True, help="who decides")
    correct.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    correct.add_argument("--review", type=int, action="append", metavar="ID", help="review id")
    correct.add_argument("--other-review", type=int, metavar="ID", help="the other review id")
    correct.add_argument("--drama", metavar="ID|TITLE", help="drama id or title")
    correct.add_argument("--other-drama", metavar="ID|TITLE", help="the other drama's id or title")
    correct.add_argument("--source", metavar="NAME", help="source name (source_weight)")
    correct.add_argument("--value", type=float, help="weight (source_weight) or score 0-100 (override_inferred)")
    correct.add_argument("--title", help="title of the new drama (split_drama)")
    common(correct)
    correct.set_defaults(func=cmd_correct)

    corrections = make("corrections", "List editors' corrections, newest first (the audit trail); revoke one.")
    corrections.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    corrections.add_argument("--active", action="store_true", help="only corrections in force")
    corrections.add_argument("--revoke", type=int, metavar="ID", help="withdraw this correction (needs --editor)")
    corrections.add_argument("--editor", help="who revokes")
    common(corrections)
    corrections.set_defaults(func=cmd_corrections)
