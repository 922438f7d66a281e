"""HTML trees that survive absurd nesting, shared by the extractors.

libxml2 stops reading a document at a nesting depth of 256 (2048 with ``huge_tree``) and drops everything
after that point, silently: 3,000 nested ``<div>`` before the reviews cost every review. When the parser
reports that, the document is read again with no element deeper than :data:`MAX_DEPTH`: a deeper one becomes
a sibling of the deepest (browsers do the same), so no text and no element is lost, only some nesting.

The helpers below read such trees fast and exactly as parsel's CSS would: queries compiled once (:func:`css`),
class tokens split where CSS splits them (:func:`has_class`, :func:`class_index`), lxml.html's ``drop_tree``
for plain elements.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

MAX_DEPTH = 1000
# What XPath's normalize-space() folds: class tokens are split on these only (not on U+00A0 or U+000B).
_XML_SPACE = re.compile(r"[ \t\r\n]+")
# Characters XML forbids: lxml parses them into text, then refuses that text when a tree is edited (ValueError).
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TRANSLATOR = HTMLTranslator()
_WANTED_IN: dict[frozenset[str], dict[str, tuple[str, ...]]] = {}  # class_index: wanted -> value -> tokens
_KNOWN_MAX = 4096
# The string value of a node, as XPath's string(.) gives it (text of descendants; no comments).
string_value = etree.XPath("string()", smart_strings=False)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})  # fmt: skip
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(?P<raw>script|style|textarea|title|xmp|template)\b[^>]*>.*?(?:</(?P=raw)\s*>|\Z)"
    r"|<(?P<end>/?)(?P<name>[a-zA-Z][\w:.-]*)(?:\s[^>]*)?>",
    re.DOTALL | re.IGNORECASE,
)


def flatten(text: str, max_depth: int = MAX_DEPTH) -> str:
    """`text` with no element nested deeper than `max_depth`: an element that would be is made a sibling of the
    deepest one instead (its start tag and attributes kept), as browsers do.

    ``flatten("<b>" * 3 + "x" + "</b>" * 3, 2)`` -> ``"<b><b></b><b>x</b></b>"``
    """
    out: list[str] = []
    stack: list[list] = []  # [name, open] of the elements opened and not yet ended
    where: dict[str, list[int]] = {}  # name -> its indexes in stack, so an end tag finds its start at once
    depth = pos = 0
    for match in _TOKEN.finditer(text):
        name = (match["name"] or "").lower()
        if not name or name in _VOID or match.group().endswith("/>"):
            continue  # comments, raw-text elements, void and self-closing tags never nest
        if not match["end"]:
            if depth >= max_depth:
                # Close the deepest open element here; its own end tag, later, is dropped.
                deepest = next(e for e in reversed(stack) if e[1])
                out.append(text[pos : match.start()] + f"</{deepest[0]}>")
                pos = match.start()
                deepest[1] = False
                depth -= 1
            where.setdefault(name, []).append(len(stack))
            stack.append([name, True])
            depth += 1
            continue
        if not where.get(name):
            continue  # a stray end tag: the parser ignores it
        index = where[name][-1]
        popped = stack[index:]
        del stack[index:]
        for other, _ in popped:
            where[other].pop()
        depth -= sum(1 for _, is_open in popped if is_open)
        if not popped[0][1]:
            # Ended early already: end what was opened inside it instead of it.
            inner = "".join(f"</{n}>" for n, is_open in reversed(popped[1:]) if is_open)
            out.append(text[pos : match.start()] + inner)
            pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _too_deep(parser) -> bool:
    return any("Excessive depth" in error.message for error in parser.error_log)


def parse(text: str, parser_factory=lxml_html.HTMLParser):
    """The document's root element (None when lxml cannot build one); deep nesting flattened, never cut.

    Control characters XML forbids are dropped first: invisible in a page, fatal when its tree is edited.
    """
    text = XML_UNSAFE.sub("", text)
    for attempt in (text, None):
        if attempt is None:
            attempt = flatten(text)
        parser = parser_factory(recover=True, encoding="utf-8", huge_tree=True)
        try:
            root = etree.fromstring(attempt.encode("utf-8", "replace"), parser=parser)
        except (ValueError, etree.LxmlError):
            return None
        if not _too_deep(parser):
            return root
    return root


def selector(text: str) -> Selector | None:
    """A parsel Selector over an HTML document (see :func:`parse`)."""
    root = parse(text.strip().replace("\x00", "") or "<html/>")
    return Selector(root=root, type="html") if root is not None else None


def css(query: str) -> etree.XPath:
    """A compiled query for a CSS selector, translated exactly as parsel's ``Selector.css`` translates it.

    ``css("div.review")(root)`` -> the elements parsel's ``Selector(root=root).css("div.review")`` selects.
    """
    return etree.XPath(_TRANSLATOR.css_to_xpath(query), smart_strings=False)


def split_classes(value: str) -> list[str]:
    """A class attribute's tokens as CSS matches them: ``'a\tb  c'`` -> ``['a', 'b', 'c']``."""
    # str.split() also splits at U+00A0, U+000B...: only right when the only whitespace is the space.
    return value.split() if value.isprintable() else [t for t in _XML_SPACE.split(value) if t]


def class_index(root, wanted: frozenset[str]) -> dict[str, list]:
    """Elements of `root`'s subtree (`root` included) by class token, document order, `wanted` tokens only.

    One walk instead of one ``descendant-or-self::*[class]`` query per token (each walks the subtree too).
    """
    found: dict[str, list] = {}
    # A site's pages repeat the same few class attributes: each is split once, then looked up.
    known = _WANTED_IN.setdefault(wanted, {})
    for element in root.iter(etree.Element):
        value = element.get("class")
        if value:
            hits = known.get(value)
            if hits is None:
                if len(known) >= _KNOWN_MAX:
                    known.clear()
                hits = known[value] = tuple(wanted.intersection(split_classes(value)))
            for token in hits:
                found.setdefault(token, []).append(element)
    return found


def has_class_xpath(token: str) -> str:
    """An XPath predicate true for elements with the class `token`, as CSS's ``.token`` means it."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {token} ')"


def has_class(element, token: str) -> bool:
    """Whether CSS's ``.token`` matches the element: ``class="a\tb"`` has ``b``, ``class="a\u00a0b"`` does not."""
    value = element.get("class")
    return bool(value) and token in value and token in split_classes(value)


def inside(element, token: str, stop) -> bool:
    """Whether an ancestor of `element` (which lies below `stop`), up to and including `stop`, has the class."""
    if element is stop:
        return False
    for ancestor in element.iterancestors():
        if has_class(ancestor, token):
            return True
        if ancestor is stop:
            return False
    return False


def drop_tree(element) -> None:
    """lxml.html's ``drop_tree`` for any element: removed with its children, its tail text kept in place."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)
