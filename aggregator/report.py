"""One drama's consensus report as text (`dramascore show`), and the corrections audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aggregator.store.consensus import Report, ReviewLine
from aggregator.store.models import Correction


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d")


def flags(line: ReviewLine) -> str:
    """Why a review counts the way it does, in words."""
    out = []
    if line.status == "duplicate":
        out.append(f"duplicate of #{line.duplicate_of}")
    elif line.status == "excluded":
        out.append("excluded by an editor")
    elif line.status == "superseded":
        out.append(f"superseded by #{line.superseded_by} (same author)")
    elif line.status == "unscored":
        out.append("no score")
    elif line.status == "zero_weight":
        out.append("source weight 0")
    if line.basis == "inferred":
        out.append(f"inferred from text ({line.inferred_method or 'unknown method'})")
    elif line.basis == "editor":
        out.append("editor's score")
    elif line.basis == "episodes":
        out.append("mean of episode scores")
    if line.inferred is not None and line.basis != "inferred":
        out.append(f"inferred {line.inferred:.0f} unused")
    if line.kind == "comment":
        out.append("comment")
    if line.spoiler:
        out.append("spoiler")
    if line.moved_from is not None:
        out.append(f"moved from drama {line.moved_from}")
    return ", ".join(out)


def format_report(report: Report) -> str:
    drama = report.drama
    head = f"{drama.title}" + (f" ({drama.year})" if drama.year else "") + f"  [drama {drama.id}]"
    if report.merged_into is not None:
        target = report.merged_into
        return f"{head}\nmerged into drama {target.id} {target.title!r}: its reviews count there\n" + _notes(report)
    r = report.result
    lines = [head]
    if r.score is None:
        lines.append(f"Consensus: no score yet ({r.n_reviews} opinion(s), none scored)  [tbd]")
    else:
        labels = ", ".join(x for x in (r.band, r.agreement) if x)
        tbd = f"  [tbd: fewer than {r.params.get('min_reviews')} scored]" if r.tbd else ""
        lines.append(f"Consensus: {r.score:.1f} / 100  {labels}{tbd}")
        interval = "-" if r.ci_low is None else f"{r.ci_low:.1f}-{r.ci_high:.1f}"
        lines.append(
            f"  weighted mean {num(r.mean)} (95% interval {interval}) · median {num(r.median)}"
            f" · spread (sd) {num(r.stdev)} · {num(r.pct_positive, 0)}% positive"
        )
    prior = r.params.get("prior_mean_used")
    lines.append(
        f"  {r.n_reviews} opinion(s) (one per author), {r.n_scored} scored, {r.n_inferred} inferred;"
        f" weight {r.weight_sum:.2f}; prior {num(prior)} x {r.params.get('prior_weight')}"
    )
    made = "stored, computed " + report.computed_at.strftime("%Y-%m-%d %H:%M UTC") if report.stored else "not stored"
    lines.append(f"  method {r.method} ({made})")
    if r.per_source:
        rows = [(s, v["n"], num(v["mean"]), f"{v['weight']:.2f}") for s, v in sorted(r.per_source.items())]
        lines += ["", "By source", _indent(table(["source", "n", "mean", "weight"], rows))]
    if r.per_episode:
        rows = [(ep, v["n"], num(v["mean"])) for ep, v in sorted(r.per_episode.items())]
        lines += ["", "By episode", _indent(table(["episode", "n", "mean"], rows))]
    if report.reviews:
        rows = [
            (
                f"#{x.review_id}", x.source, x.author or "-", when(x.published_at), x.score_raw or "-", num(x.score),
                num(x.value), f"{x.weight:.2f}" if x.status == "counted" else "-", flags(x),
            )
            for x in report.reviews
        ]  # fmt: skip
        headers = ["review", "source", "author", "date", "raw", "score", "value", "weight", "flags"]
        lines += ["", f"Reviews ({len(report.reviews)})", _indent(table(headers, rows))]
    notes = _notes(report)
    return "\n".join(lines) + ("\n\n" + notes if notes else "")


def _notes(report: Report) -> str:
    if not report.corrections:
        return ""
    return "Editors' corrections in force\n" + "\n".join("  " + describe(c) for c in report.corrections)


def targets(c: Correction) -> str:
    """What a correction is about: "review 12 value 70", "reviews 3,4 drama 2 other drama 9"."""
    out = []
    for label, value in (("review", c.review_id), ("other review", c.other_review_id), ("drama", c.drama_id),
                         ("other drama", c.other_drama_id), ("source", c.source_id), ("value", c.value)):  # fmt: skip
        if value is not None:
            out.append(f"{label} {value:g}" if isinstance(value, float) else f"{label} {value}")
    if (c.payload or {}).get("review_ids"):
        out.insert(0, "reviews " + ",".join(map(str, c.payload["review_ids"])))
    return " ".join(out) or "(everywhere)"


def describe(c: Correction) -> str:
    """One correction on one line: what, on what, by whom, why."""
    return f"#{c.id} {c.kind} {targets(c)} by {c.editor}: {c.reason}"


def format_corrections(corrections: Sequence[Correction]) -> str:
    """The audit trail as a table, newest first; revoked ones say when and by whom."""
    if not corrections:
        return "no corrections recorded"
    rows = [
        (
            f"#{c.id}", f"{c.created_at:%Y-%m-%d %H:%M}", c.kind, targets(c), c.editor,
            "active" if c.revoked_at is None else f"revoked {c.revoked_at:%Y-%m-%d} by {c.revoked_by}", c.reason,
        )
        for c in corrections
    ]  # fmt: skip
    return table(["id", "when (UTC)", "kind", "targets", "editor", "state", "reason"], rows)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
