"""Review text: HTML fragments or plain text -> plain text with paragraphs kept and double captures removed."""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import etree

# Scripts and the like hold code, not review text.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "math"})
# Elements that start a new paragraph ("\n\n") or a new line ("\n") in the text.
_PARA_TAGS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "dl", "table", "section",
        "article", "header", "footer", "aside", "main", "nav", "pre", "hr", "figure", "figcaption", "address",
        "details", "summary", "form", "fieldset",
    }
)  # fmt: skip
_LINE_TAGS = frozenset({"br", "li", "tr", "dt", "dd", "caption"})  # br: see _html_to_text

# "<!--" alone marks markup: matching the whole comment would rescan the text for every unclosed opener.
_TAG_RE = re.compile(r"<(?:[a-zA-Z][\w:-]*(?:\s[^<>]*)?/?>|/[a-zA-Z][\w:-]*\s*>|!--|![a-zA-Z][^<>]*>)")
_BREAK_TAG_RE = re.compile(r"<\s*/?\s*(?:" + "|".join(sorted(_PARA_TAGS | _LINE_TAGS)) + r")\b", re.I)
# Characters libxml2 rejects and that never belong in text (controls except tab/newlines, lone surrogates).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
# In bodies also the two private-use characters used below as break markers.
_BAD_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff\ue001\ue002]")
# Block boundaries do not add up ("</li><li>" is one line break, "</p><br><br>" one paragraph break), while
# each <br> does ("<br><br>" is a paragraph break); so blocks leave markers that are resolved per gap.
_PARA_MARK = "\ue001"
_LINE_MARK = "\ue002"
_GAP_RE = re.compile(r"[\s\ue001\ue002]*[\n\ue001\ue002][\s\ue001\ue002]*")
_NEWLINE_RE = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

_MIN_REPEAT_PARAS = 2
_MIN_REPEAT_CHARS = 200
# Bounds the duplicate search so a pathological body (thousands of equal lines) stays near-linear.
_CANDIDATES_PER_LINE = 4
_COMPARE_BUDGET = 500_000
_MAX_PASSES = 8
_LEAD_MAX_CHARS = 600
# The last body known to clean to itself; the spoiler step cleans the cleaned body again for its lead.
_last_fixed: str | None = None


def fold_whitespace(s: str | None) -> str | None:
    """NFKC, every whitespace run to one space, stripped; empty -> None.

    ``"  Music\\u00a0and \\n Lyrics "`` -> ``"Music and Lyrics"``
    """
    if not isinstance(s, str):
        return None
    folded = " ".join(unicodedata.normalize("NFKC", _CONTROL_RE.sub(" ", s)).split())
    return folded or None


def clean_body_with_reason(raw: str | None) -> tuple[str | None, str | None]:
    """Like :func:`clean_body`, with ``"empty"`` as the reason when nothing is left."""
    body = clean_body(raw)
    return (body, None) if body is not None else (None, "empty")


def clean_body(raw: str | None) -> str | None:
    """Plain text with ``"\\n"`` line breaks and ``"\\n\\n"`` between paragraphs; a repeated capture kept once.

    ``"<p>First part.</p><br><br>Second part with <b>bold</b> text."``
    -> ``"First part.\\n\\nSecond part with bold text."``
    """
    global _last_fixed
    if not isinstance(raw, str):
        return None
    if raw is _last_fixed:
        return raw  # what clean_body just returned, fed back in (lead_paragraph of a cleaned body)
    text = raw
    # Decoding can reveal more markup or entities ("&lt;b&gt;"), so repeat until a pass changes nothing;
    # that is what makes clean_body(clean_body(x)) == clean_body(x). Each changing pass shortens the text.
    for _ in range(_MAX_PASSES):
        cleaned, stable = _clean_pass(text)
        if cleaned is None:
            break
        if stable or cleaned == text:
            _last_fixed = cleaned  # cleaning it again gives it back
            break
        text = cleaned
    return cleaned or None


def lead_paragraph(text: str | None) -> str | None:
    """First non-empty paragraph of the cleaned text, at most ~600 characters.

    ``"Spoiler free!\\n\\nThe story..."`` -> ``"Spoiler free!"``
    """
    body = clean_body(text)
    if body is None:
        return None
    # Plain captures with one newline per paragraph have no blank lines: there a line is a paragraph.
    blocks = body.split("\n\n") if "\n\n" in body else body.split("\n")
    lead = next((b for b in blocks if b.strip()), "")
    if len(lead) > _LEAD_MAX_CHARS:
        # A wall of text with no breaks is not a lead; its opening is what a lead would say.
        cut = lead.rfind(" ", 0, _LEAD_MAX_CHARS)
        lead = lead[: cut if cut > 0 else _LEAD_MAX_CHARS]
    return lead.strip() or None


def _clean_pass(raw: str) -> tuple[str | None, bool]:
    """One cleaning pass, and whether a second would give its result back (then it need not run)."""
    text = _BAD_CHARS_RE.sub("", raw)
    if _TAG_RE.search(text):
        text = _html_to_text(text)
    else:
        text = html.unescape(text)
    lines, seps = _lines(text)
    if not lines:
        return None, False
    kept, kept_seps = _drop_repeated_runs(lines, seps)
    out = kept[0] + "".join(sep + line for sep, line in zip(kept_seps, kept[1:], strict=True))
    cleaned = _drop_doubled_body(out)
    # Stable when nothing was dropped and nothing is left to decode: a second pass would read the same
    # lines and drop nothing again.
    stable = (
        len(kept) == len(lines) and cleaned is out and "<" not in out and "&" not in out
        and _BAD_CHARS_RE.search(out) is None
    )  # fmt: skip
    return cleaned, stable


def _html_to_text(fragment: str) -> str:
    """Markup to text with "\\n" for line breaks and "\\n\\n" for paragraph breaks (not yet folded)."""
    # Bytes input sidesteps lxml's refusal of str with an encoding declaration.
    data = fragment.encode("utf-8", "replace")
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError):
        root = None
    # Past 2048 levels of nesting libxml2 silently drops the rest of the text: then it is read by hand.
    if root is None or any("Excessive depth" in error.message for error in parser.error_log):
        return _strip_tags(fragment)
    # Inline-only markup (a <b> in a plain-text comment) keeps the text's own newlines as breaks.
    keep_newlines = _BREAK_TAG_RE.search(fragment) is None
    parts: list[str] = []

    def add_text(value: str | None) -> None:
        if value:
            if keep_newlines:
                parts.append("\n".join(_fold_keep_edges(line) for line in _NEWLINE_RE.split(value)))
            else:
                parts.append(_fold_keep_edges(value))

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag == "br":
                parts.append("\n")
            elif tag in _PARA_TAGS:
                parts.append(_PARA_MARK)
            elif tag in _LINE_TAGS:
                parts.append(_LINE_MARK)
            add_text(el.text)
        else:
            if tag in _PARA_TAGS:
                parts.append(_PARA_MARK)
            elif tag in _LINE_TAGS and tag != "br":
                parts.append(_LINE_MARK)
            add_text(el.tail)
    text = _GAP_RE.sub(_resolve_gap, "".join(parts))
    if not text.strip() and not any(t.strip() for t in root.itertext()):
        # libxml2 gives up on absurd nesting and returns an empty tree; the text is still in the fragment.
        return _strip_tags(fragment)
    return text


def _strip_tags(fragment: str) -> str:
    """Last resort when the parser fails: comments and tags removed by hand."""
    kept = []
    pos = 0
    while (start := fragment.find("<!--", pos)) != -1:
        kept.append(fragment[pos:start])
        end = fragment.find("-->", start + 4)
        pos = len(fragment) if end == -1 else end + 3
    kept.append(fragment[pos:])
    return html.unescape(_TAG_RE.sub(" ", "".join(kept)))


def _resolve_gap(gap: re.Match[str]) -> str:
    run = gap.group()
    return "\n\n" if _PARA_MARK in run or run.count("\n") >= 2 else "\n"


def _fold_keep_edges(value: str) -> str:
    """Whitespace runs to one space, keeping a leading/trailing space: it separates inline elements."""
    folded = " ".join(value.split())
    if not folded:
        return " " if value else ""
    lead = " " if value[0].isspace() else ""
    trail = " " if value[-1].isspace() else ""
    return f"{lead}{folded}{trail}"


def _lines(text: str) -> tuple[list[str], list[str]]:
    """Non-empty folded lines and the separator before each line after the first ("\\n" or "\\n\\n")."""
    lines: list[str] = []
    seps: list[str] = []
    blank_before = False
    for raw_line in text.splitlines():
        line = " ".join(raw_line.split())
        if not line:
            blank_before = True
            continue
        if lines:
            seps.append("\n\n" if blank_before else "\n")
        lines.append(line)
        blank_before = False
    return lines, seps


def _drop_repeated_runs(lines: list[str], seps: list[str]) -> tuple[list[str], list[str]]:
    """Keep once any run of lines immediately followed by an identical run (>= 2 different lines or >= 200 chars).

    ``["P1", "P2", "P3", "P2", "P3"]`` -> ``["P1", "P2", "P3"]``
    """
    ids: dict[str, int] = {}
    line_ids = [ids.setdefault(line, len(ids)) for line in lines]
    if len(ids) == len(lines):
        return lines, seps
    out: list[int] = []  # indexes into lines
    out_ids: list[int] = []
    seen: dict[int, list[int]] = {}  # line id -> positions in out
    out_seps: list[str] = []
    budget = _COMPARE_BUDGET
    j = 0
    n = len(lines)
    while j < n:
        skip = 0
        if budget > 0:
            for p in reversed(seen.get(line_ids[j], [])[-_CANDIDATES_PER_LINE:]):
                k = len(out_ids) - p
                if j + k > n:
                    continue
                budget -= k
                if line_ids[j : j + k] == out_ids[p:]:
                    block_chars = sum(len(lines[i]) for i in out[p:])
                    # One short line said four times ("Ha.") is a chant, not a second capture.
                    several = k >= _MIN_REPEAT_PARAS and len(set(out_ids[p:])) > 1
                    if several or block_chars >= _MIN_REPEAT_CHARS:
                        skip = k
                        break
        if skip:
            j += skip
            continue
        if out:
            out_seps.append(seps[j - 1])
        seen.setdefault(line_ids[j], []).append(len(out_ids))
        out.append(j)
        out_ids.append(line_ids[j])
        j += 1
    return [lines[i] for i in out], out_seps


def _drop_doubled_body(text: str) -> str:
    """A whole body "X X" (X >= 200 chars, any whitespace at the seam) -> "X"."""
    folded = " ".join(text.split())
    size = len(folded)
    if size < 2 * _MIN_REPEAT_CHARS + 1 or size % 2 == 0:
        return text
    mid = size // 2
    if folded[mid] != " " or folded[:mid] != folded[mid + 1 :]:
        return text
    removed = 0  # characters dropped by folding before the current whitespace run
    for run in re.finditer(r"\s+", text):
        folded_pos = run.start() - removed
        if folded_pos == mid:
            return text[: run.start()]
        if folded_pos > mid:
            break
        removed += len(run.group()) - 1
    return text
