"""html_tree's query helpers select exactly what parsel's CSS selects, on markup chosen to tell them apart."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree
from parsel import Selector

from spiders.extractors.html_tree import (
    class_index,
    css,
    drop_tree,
    has_class,
    inside,
    parse,
    split_classes,
)

# Class attributes CSS splits only at space, tab, CR and LF: U+00A0, U+000B and U+2003 are part of a token.
PAGE = (
    '<div id="top" class="box review"><p class="a\tb  c">1</p><p class="b\u00a0c">2</p>'
    '<p class="b\x0bc">3</p><p class="c c">4</p><p class="\u2003c">5</p><span class="C">6</span>'
    '<div class="box"><b class="c">7</b></div></div>'
)
TOKENS = frozenset({"a", "b", "c", "box", "review", "C"})


def tree():
    return parse(f"<html><body>{PAGE}</body></html>", parser_factory=etree.HTMLParser)


@pytest.mark.parametrize("token", sorted(TOKENS))
def test_class_lookups_match_parsel_css(token):
    root = tree()
    expected = [e.root for e in Selector(root=root, type="html").css(f".{token}")]
    assert [e for e in root.iter(etree.Element) if has_class(e, token)] == expected
    assert class_index(root, TOKENS).get(token, []) == expected
    assert css(f".{token}")(root) == expected


def test_class_tokens_split_where_css_splits():
    assert split_classes("a\tb  c\n") == ["a", "b", "c"]
    assert split_classes("b\u00a0c d") == ["b\u00a0c", "d"]


def test_inside_looks_up_to_the_stop_element_only():
    root = tree()
    bold = root.find(".//b")
    top = root.find(".//div")
    assert inside(bold, "review", top)
    assert not inside(bold, "review", bold.getparent())  # the walk ends at the inner box
    assert not inside(top, "review", top)


def test_drop_tree_keeps_the_tail_like_lxml_html():
    markup = "<div>lead<b>x</b>one<i>y</i>two</div>"
    ours = etree.fromstring(markup, etree.HTMLParser()).find(".//div")
    theirs = lxml.html.fromstring(markup)
    for name in ("b", "i"):
        drop_tree(ours.find(name))
        theirs.find(name).drop_tree()
    assert etree.tostring(ours, method="html") == etree.tostring(theirs, method="html") == b"<div>leadonetwo</div>"
