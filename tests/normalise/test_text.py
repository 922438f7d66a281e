"""Review text: markup to paragraphs, double captures collapsed, whitespace folding and lead paragraphs."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pipelines.normalise.text import clean_body, clean_body_with_reason, fold_whitespace, lead_paragraph

LONG = "Soundtrack #1 rounds out its story beautifully and the leads carry every scene with ease. " * 3  # > 200



@pytest.mark.parametrize(
    "raw, text",
    [
        ("<p>First part.</p><br><br>Second part with <b>bold</b> text.", "First part.\n\nSecond part with bold text."),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Line one<br>Line two", "Line one\nLine two"),
        ("Line one<br /><br /><br /><br />Line two", "Line one\n\nLine two"),
        ("<div>A</div><div>B</div>", "A\n\nB"),
        ("<h3>What I Liked</h3>The leads.", "What I Liked\n\nThe leads."),
        ("<ul><li>The chemistry.</li><li>The OST.</li></ul>", "The chemistry.\nThe OST."),
        ("<p>Tom &amp; Jerry &lt;3 &#8217;&nbsp;x</p>", "Tom & Jerry <3 \u2019 x"),
        ("<p>Hi</p><script>var x = '<p>no</p>';</script><style>p {}</style><p>there</p>", "Hi\n\nthere"),
        ("<p>a<!-- hidden --> b</p>", "a b"),
        # Prettier-formatted MyDramaList markup: source newlines and tabs inside a paragraph are spaces
        ("<p>\n\t\t\t<strong>Gripping, intense</strong>\n\t\t</p>\n\t\t\"The Glory\" comes\n\t\twith a drum roll",
         "Gripping, intense\n\n\"The Glory\" comes with a drum roll"),
        # plain text keeps its own line structure
        ("Plain text.\nSecond line.\n\n\n\nNew paragraph.", "Plain text.\nSecond line.\n\nNew paragraph."),
        ("  spaced   out \t text  ", "spaced out text"),
        ("Reddit &amp; friends &gt; all", "Reddit & friends > all"),
        # inline-only markup in a plain comment: the comment's newlines still count
        ("I <b>loved</b> it.\n\nSecond thought.", "I loved it.\n\nSecond thought."),
        ("I <3 this show", "I <3 this show"),
        ("Episode 1 -| Review Score – 4/5", "Episode 1 -| Review Score – 4/5"),
    ],
)
def test_markup_to_paragraphs(raw, text):
    assert clean_body(raw) == text


@pytest.mark.parametrize("raw", [None, "", "   \n\n\t ", "<p> </p><br/>", "<script>only()</script>", "<!-- x -->"])
def test_empty_is_none(raw):
    assert clean_body(raw) is None
    assert clean_body_with_reason(raw) == (None, "empty")


@pytest.mark.parametrize(
    "raw, text",
    [
        # MyDramaList capture shape: P1, P2..Pn, then P2..Pn again
        ("P1 intro.\nP2 body.\nP3 more.\nP2 body.\nP3 more.", "P1 intro.\nP2 body.\nP3 more."),
        ("<p>P1</p><p>P2</p><p>P3</p><p>P2</p><p>P3</p><p>End</p>", "P1\n\nP2\n\nP3\n\nEnd"),
        ("A\n\nB\n\nA\n\nB\n\nA\n\nB", "A\n\nB"),  # captured three times
        (f"{LONG}\n\n{LONG}", LONG.strip()),  # one long paragraph twice
        (f"{LONG} {LONG}", LONG.strip()),  # whole body twice, no break between
        (f"Intro line.\n\n{LONG}\n{LONG}", f"Intro line.\n\n{LONG.strip()}"),
        (f"P1\n\nP2\n\nEnd.  P1\n\nP2\n\nEnd.{' pad' * 60}", f"P1\n\nP2\n\nEnd. P1\n\nP2\n\nEnd.{' pad' * 60}"),
    ],
)
def test_repeated_captures_are_kept_once(raw, text):
    assert clean_body(raw) == text


@pytest.mark.parametrize(
    "raw",
    [
        "Yes.\n\nYes.",
        "Ha.\nHa.\nHa.\nHa.",  # one short line repeated is a chant, not a second capture
        "Love Love Love",
        "Short. Short.",
        "P1\n\nP2\n\nP3\n\nP1",
    ],
)
def test_short_legit_repeats_are_kept(raw):
    assert clean_body(raw) == raw


def test_seed_mydramalist_double_capture_collapses(seed):
    raw = seed("001")
    body = clean_body(raw)
    for paragraph in ("Truth be told, this isn’t my go-to genre", "What I Liked", "Kyuhyun (규현)", "Final Thoughts"):
        assert raw.count(paragraph) == 2 and body.count(paragraph) == 1
    assert body.startswith("This review may contain spoilers\nMusic and Lyrics\nSoundtrack #1 is my number one")
    assert len(body) < 0.6 * len(raw)


@pytest.mark.parametrize("prefix", ["000", "002", "003"])
def test_seed_single_captures_are_untouched_apart_from_whitespace(prefix, seed):
    raw = seed(prefix)
    body = clean_body(raw)
    assert body.split() == raw.split()


def test_real_mydramalist_review_body(realpages):
    page = (realpages / "mydramalist" / "the-glory-685237-details.html").read_bytes()
    root = etree.fromstring(page, etree.HTMLParser(encoding="utf-8"))
    blocks = root.xpath('//div[contains(concat(" ", @class, " "), " review-body ")]')
    assert len(blocks) == 2
    body = clean_body(etree.tostring(blocks[0], encoding="unicode"))
    paragraphs = body.split("\n\n")
    assert "Gripping, intense, a success all round" in paragraphs
    assert any(p.startswith('"The Glory" comes with a drum roll at the turn of the year 2022/23.') for p in paragraphs)
    assert "\t" not in body and "  " not in body and "\n\n\n" not in body
    assert "little daughter.\nThe bullies of that time" in body  # a single <br /> is a line break


def test_many_paragraphs_stay_fast_enough_to_finish():
    distinct = [f"Paragraph number {i} of a very long review." for i in range(20_000)]
    raw = "\n".join(distinct + distinct[1:])
    assert clean_body(raw) == "\n".join(distinct)
    same = "\n".join(["Same line."] * 20_000 + ["Other line."] * 20_000)
    assert clean_body(same).count("\n") < 40_000


@pytest.mark.parametrize(
    "raw, text",
    [
        ("<div>" * 100_000 + "deep text", "deep text"),  # libxml2 gives up past its depth limit
        ("<!--" * 20_000 + "after", None),  # an unclosed comment hides the rest, as in a browser
        (" ".join(f"<a {i}" for i in range(20_000)), " ".join(f"<a {i}" for i in range(20_000))),  # never closed
        ("\x00Nul\x07 and\ud800 bell", "Nul and bell"),
        ('<?xml version="1.0" encoding="utf-8"?><p>Declared</p>', "Declared"),
    ],
)
def test_hostile_input_is_bounded(raw, text):
    assert clean_body(raw) == text


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("  Music\u00a0and \n Lyrics ", "Music and Lyrics"),
        ("Ｓｏｕｎｄｔｒａｃｋ　#1", "Soundtrack #1"),  # full-width letters and ideographic space
        ("a\u2003b\u3000c", "a b c"),
        ("", None),
        (" \n\t ", None),
        (None, None),
    ],
)
def test_fold_whitespace(raw, folded):
    assert fold_whitespace(raw) == folded


@pytest.mark.parametrize(
    "text, lead",
    [
        ("Spoiler free!\n\nThe story is...", "Spoiler free!"),
        ("\n\n  First para\nstill first\n\nSecond", "First para\nstill first"),
        ("Line one\nLine two", "Line one"),  # plain capture without blank lines: a line is a paragraph
        ("<p>Lead here.</p><p>Body.</p>", "Lead here."),
        ("", None),
        (None, None),
    ],
)
def test_lead_paragraph(text, lead):
    assert lead_paragraph(text) == lead


def test_lead_of_a_wall_of_text_is_its_opening():
    wall = " ".join(["word"] * 1000)
    lead = lead_paragraph(wall)
    assert wall.startswith(lead) and 300 < len(lead) <= 600


# --- invariants -------------------------------------------------------------------------------------------

markupish = st.text(alphabet="ab <>/&;!-\n\tp" + "\u00a0", max_size=60)
paragraphs = st.lists(
    st.sampled_from(["Alpha.", "Beta beta.", "Gamma.", "<p>Delta</p>", LONG, "&amp;", ""]), max_size=12
)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=200), markupish, paragraphs.map("\n".join), paragraphs.map("\n\n".join)))
def test_clean_body_is_idempotent_and_tidy(raw):
    body = clean_body(raw)
    assert clean_body(body) == body
    if body is not None:
        assert body == body.strip()
        assert "\n\n\n" not in body
        assert all(line == " ".join(line.split()) for line in body.split("\n"))


@given(st.text(max_size=200))
def test_fold_whitespace_is_idempotent(raw):
    folded = fold_whitespace(raw)
    assert fold_whitespace(folded) == folded
    assert folded is None or (folded == folded.strip() and "  " not in folded)
