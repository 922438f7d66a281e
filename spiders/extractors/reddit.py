"""Reddit JSON extraction: listings of threads, thread pages, ``morechildren`` answers and comment listings.

Every piece of knowledge about Reddit's JSON shapes lives here. The functions are pure (body and URL in,
raw items out) and never raise on bad input: garbage gives empty results. Each comment (``t1``) is one
forum review; the post (``t3``) is one too when it has text. Reddit's vote ``score`` is how readers voted,
not a review score: it goes to ``helpful_votes``; ``score_raw`` is only what the text itself says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from aggregator.items import Rating, ReviewItem
from spiders.extractors.limits import MAX_ID, load_json, small_int
from spiders.extractors.post_titles import (
    drama_and_year,
    drama_from_post_title,
    episodes_from_post_title,
)
from spiders.extractors.text_scores import find_scores

SOURCE = "reddit"
# Bodies Reddit puts where a removed or deleted comment was; the comment's replies are still real.
_GONE_BODIES = frozenset({"[removed]", "[deleted]", "[ removed by reddit ]"})
_GONE_AUTHORS = frozenset({"", "[deleted]", "[removed]"})
# Bots whose comments are boilerplate (episode-thread rules, links), never anyone's opinion.
_BOTS = frozenset({"automoderator"})
# Where a Reddit URL's own path starts; whatever precedes it is the base URL (a path prefix included).
_PATH_MARKERS = ("/r/", "/comments/", "/api/", "/message/", "/user/", "/u/", "/search", "/by_id/")


@dataclass(frozen=True)
class ThreadRef:
    """A thread found in a listing: enough to fetch it and to know what it is about."""

    id: str
    """Base-36 id without the ``t3_`` prefix (``"3hahrw"``)."""
    title: str
    permalink: str | None
    subreddit: str | None
    spoiler: bool
    num_comments: int | None


@dataclass(frozen=True)
class MoreStub:
    """A ``more`` placeholder: comments Reddit did not send, fetched through ``/api/morechildren``."""

    id: str
    parent_id: str | None
    count: int
    """How many comments the stub stands for (Reddit's own count)."""
    children: tuple[str, ...] = ()
    """Comment ids (no ``t1_`` prefix) to ask ``morechildren`` for."""

    @property
    def is_continue(self) -> bool:
        """A "continue this thread" link (id ``_``, no children): morechildren cannot fetch it."""
        return self.id == "_" or not self.children


@dataclass
class ThreadResult:
    """What one thread page (or morechildren answer, or comment listing) holds."""

    items: list[ReviewItem] = field(default_factory=list)
    more: list[MoreStub] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """Reason -> things seen but not turned into items (``removed``, ``bot``, ``malformed``...)."""
    post: ThreadRef | None = None
    """The thread's post, when the page has it (thread pages)."""
    blocks_seen: int = 0
    """Comments (and posts with text) seen, kept or not: what a monitor compares with the items."""

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


# --- small helpers -------------------------------------------------------------------------------------------


def _load(body: str | bytes | None):
    """Parsed JSON, or None for anything that is not JSON."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        return load_json(body)
    except (ValueError, RecursionError):
        return None


def _data(thing) -> dict:
    """A thing's ``data`` dict, ``{}`` when the thing is not shaped like one."""
    if isinstance(thing, dict) and isinstance(thing.get("data"), dict):
        return thing["data"]
    return {}


def _children(listing) -> list:
    """The children of a ``Listing`` thing, ``[]`` for anything else ("" replies included)."""
    children = _data(listing).get("children")
    return children if isinstance(children, list) else []


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value) -> str | None:
    """An id or fullname (``"m131ndk"``, ``"t1_m131ndk"``); a longer "id" is garbage no store could index."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return small_int(value)


def _strip_prefix(value: str | None, prefix: str) -> str | None:
    if not value:
        return None
    return value.removeprefix(prefix)


def _absolute(base_url: str, path: str | None) -> str | None:
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def base_url_of(url: str, default: str = "https://www.reddit.com") -> str:
    """The base URL a Reddit API URL was built on, path prefix kept: ``http://h/reddit/comments/x.json``
    -> ``http://h/reddit``."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return default
    if not parts.scheme or not parts.netloc:
        return default
    path = parts.path
    # No known API path: the host alone (a prefix cannot be told from the page's own path).
    cut = min((i for i in (path.find(m) for m in _PATH_MARKERS) if i >= 0), default=0)
    return f"{parts.scheme}://{parts.netloc}{path[:cut]}".rstrip("/")


def is_episode_thread(title: str | None) -> bool:
    """An episode discussion thread: a drama's name and episode numbers ("Title [Episodes 11 & 12]")."""
    return bool(episodes_from_post_title(title)) and drama_from_post_title(title) is not None


# --- listings of threads ---------------------------------------------------------------------------------------


def _thread_ref(thing) -> ThreadRef | None:
    if not isinstance(thing, dict) or thing.get("kind") != "t3":
        return None
    data = _data(thing)
    thread_id = _id(data.get("id")) or _strip_prefix(_id(data.get("name")), "t3_")
    if not thread_id:
        return None
    return ThreadRef(
        id=thread_id,
        title=_str(data.get("title")) or "",
        permalink=_str(data.get("permalink")),
        subreddit=_str(data.get("subreddit")),
        spoiler=data.get("spoiler") is True,
        num_comments=_int(data.get("num_comments")),
    )


def parse_listing(body: str | bytes, url: str) -> tuple[list[ThreadRef], str | None]:
    """Threads of a search or ``new`` listing and its ``after`` cursor (None on the last page)."""
    listing = _load(body)
    if not isinstance(listing, dict) or listing.get("kind") != "Listing":
        return [], None
    refs = [ref for ref in (_thread_ref(child) for child in _children(listing)) if ref is not None]
    after = _str(_data(listing).get("after"))
    return refs, after


# --- comments ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every comment of one thread shares."""

    base_url: str
    post_title: str | None
    post_spoiler: bool | None
    post_permalink: str | None
    dramas: dict = field(default_factory=dict, compare=False)  # title -> (drama, year): each title read once


def _author(data: dict, base_url: str) -> tuple[str | None, str | None]:
    author = data.get("author")
    if not isinstance(author, str):
        return None, None
    if author.strip().lower() in _GONE_AUTHORS:
        # Kept raw: the author normaliser turns "[deleted]" into an anonymous (None) identity.
        return author, None
    return author, f"{base_url.rstrip('/')}/user/{quote(author, safe='-_')}"


def _published(data: dict) -> str | None:
    created = data.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return None
    return str(created)


def _votes(data: dict) -> int | None:
    # A hidden score is a placeholder (often 1), not a count of votes.
    if data.get("score_hidden") is True:
        return None
    return _int(data.get("score"))


def _scores(text: str | None) -> tuple[str | None, list[Rating]]:
    overall, episodes = find_scores(text)
    return overall, [Rating(score_raw=raw, episode=episode) for episode, raw in episodes]


def _comment_url(data: dict, comment_id: str, ctx: _Context) -> str:
    # Inbox listings give the comment's path as its "context" link ("...m131ndk/?context=3").
    permalink = _str(data.get("permalink")) or _str(str(data.get("context") or "").split("?")[0])
    if permalink:
        return _absolute(ctx.base_url, permalink)
    if ctx.post_permalink:
        # Older answers carry no comment permalink: the comment lives under its post's.
        return _absolute(ctx.base_url, f"{ctx.post_permalink.rstrip('/')}/{comment_id}/")
    # Reddit resolves any slug ("_") in /comments/<post>/<slug>/<comment>/.
    parent = _str(data.get("parent_id")) or ""
    post_id = _strip_prefix(_str(data.get("link_id")), "t3_") or (parent[3:] if parent.startswith("t3_") else "_")
    return _absolute(ctx.base_url, f"/comments/{post_id}/_/{comment_id}/")


def _comment(data: dict, ctx: _Context, result: ThreadResult) -> None:
    """One ``t1`` thing into `result`: an item, or a skip with its reason."""
    result.blocks_seen += 1
    comment_id = _id(data.get("id")) or _strip_prefix(_id(data.get("name")), "t1_")
    body = data.get("body")
    if not comment_id or not isinstance(body, str):
        result.skip("malformed")
        return
    if body.strip().lower() in _GONE_BODIES:
        result.skip("removed")
        return
    if not body.strip():
        result.skip("empty")
        return
    author, author_url = _author(data, ctx.base_url)
    if author and author.lower() in _BOTS:
        result.skip("bot")
        return
    score_raw, episode_scores = _scores(body)
    # Inbox and user listings name the comment's post in link_title; thread pages give it by context.
    post_title = ctx.post_title or _str(data.get("link_title"))
    drama_title, drama_year = drama_and_year(post_title, ctx.dramas)
    result.items.append(
        ReviewItem(
            source=SOURCE,
            source_review_id=_id(data.get("name")) or f"t1_{comment_id}",
            url=_comment_url(data, comment_id, ctx),
            kind="comment",
            drama_title=drama_title,
            drama_year=drama_year,
            author_raw=author,
            author_url=author_url,
            published_raw=_published(data),
            score_raw=score_raw,
            episode_scores=episode_scores,
            spoiler_flag_raw=ctx.post_spoiler,
            title=None,
            body_raw=body,
            helpful_votes=_votes(data),
        )
    )


def _more(data: dict, result: ThreadResult) -> None:
    children = data.get("children")
    ids = tuple(c for c in children if isinstance(c, str) and c) if isinstance(children, list) else ()
    count = _int(data.get("count"))
    result.more.append(
        MoreStub(
            id=_str(data.get("id")) or "_",
            parent_id=_str(data.get("parent_id")),
            count=count if count is not None and count >= 0 else len(ids),
            children=ids,
        )
    )


def _walk(things: list, ctx: _Context, result: ThreadResult) -> None:
    """Comments and stubs in page order, each comment before its replies (iterative: no recursion limit)."""
    stack = list(reversed(things))
    while stack:
        thing = stack.pop()
        kind = thing.get("kind") if isinstance(thing, dict) else None
        data = _data(thing)
        if kind == "t1":
            _comment(data, ctx, result)
            stack.extend(reversed(_children(data.get("replies"))))
        elif kind == "more":
            _more(data, result)
        else:
            result.skip("not_comment")


def _flat(things: list, ctx: _Context, result: ThreadResult) -> None:
    """Comments and stubs of a flat list, replies not followed (morechildren answers, comment listings)."""
    for thing in things:
        kind = thing.get("kind") if isinstance(thing, dict) else None
        if kind == "t1":
            _comment(_data(thing), ctx, result)
        elif kind == "more":
            _more(_data(thing), result)
        else:
            result.skip("not_comment")


def _post(data: dict, ref: ThreadRef, ctx: _Context, result: ThreadResult) -> None:
    """The post as an item when it has text of its own (a link or image post has none)."""
    text = data.get("selftext")
    if not isinstance(text, str) or not text.strip():
        return
    result.blocks_seen += 1
    if text.strip().lower() in _GONE_BODIES:
        result.skip("removed")
        return
    base_url = ctx.base_url
    author, author_url = _author(data, base_url)
    score_raw, episode_scores = _scores(text)
    score_raw = score_raw if score_raw is not None else find_scores(ref.title)[0]
    drama_title, drama_year = drama_and_year(ref.title, ctx.dramas)
    result.items.append(
        ReviewItem(
            source=SOURCE,
            source_review_id=_id(data.get("name")) or f"t3_{ref.id}",
            url=_absolute(base_url, ref.permalink) or _absolute(base_url, f"/comments/{ref.id}/"),
            kind="comment",
            drama_title=drama_title,
            drama_year=drama_year,
            author_raw=author,
            author_url=author_url,
            published_raw=_published(data),
            score_raw=score_raw,
            episode_scores=episode_scores,
            spoiler_flag_raw=ref.spoiler,
            # The post's title is its own headline (the spoiler normaliser reads "[Spoilers]" there).
            title=ref.title or None,
            body_raw=text,
            helpful_votes=_votes(data),
        )
    )


# --- public API -------------------------------------------------------------------------------------------------


def _thread(page: list, base_url: str) -> ThreadResult:
    result = ThreadResult()
    posts = _children(page[0]) if page else []
    ref = _thread_ref(posts[0]) if posts else None
    if ref is None:
        result.skip("malformed")
        return result
    result.post = ref
    ctx = _Context(base_url, ref.title or None, ref.spoiler, ref.permalink)
    _post(_data(posts[0]), ref, ctx, result)
    if len(page) > 1:
        _walk(_children(page[1]), ctx, result)
    return result


def _more_children(page: dict, ctx: _Context) -> ThreadResult:
    result = ThreadResult()
    answer = page.get("json")
    if not isinstance(answer, dict):
        return result
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        result.skip("api_error", len(errors))
    data = answer.get("data")
    things = data.get("things") if isinstance(data, dict) else None
    # The things come flat (a reply follows its parent, not inside it): each is read on its own.
    _flat(things if isinstance(things, list) else [], ctx, result)
    return result


def _comment_listing(page: dict, base_url: str) -> ThreadResult:
    result = ThreadResult()
    _flat(_children(page), _Context(base_url, None, None, None), result)
    return result


def extract_thread(body: str | bytes, url: str, base_url: str) -> ThreadResult:
    """Items and ``more`` stubs of a thread page: ``[Listing(t3 post), Listing(t1 comments)]``."""
    page = _load(body)
    return _thread(page, base_url) if isinstance(page, list) and page else ThreadResult()


def extract_more_children(
    body: str | bytes,
    url: str,
    base_url: str,
    post_title: str | None = None,
    post_spoiler: bool | None = None,
    post_permalink: str | None = None,
) -> ThreadResult:
    """Items and further stubs of a ``/api/morechildren`` answer (``{"json": {"data": {"things": [...]}}}``);
    the post's title and spoiler flag come from the thread the stub was found in."""
    page = _load(body)
    if not isinstance(page, dict):
        return ThreadResult()
    return _more_children(page, _Context(base_url, post_title, post_spoiler, post_permalink))


def extract_comment_listing(body: str | bytes, url: str, base_url: str) -> ThreadResult:
    """Items of a ``Listing`` of comments (inbox, ``/user/x/comments``, ``/r/x/comments``); other things
    (private messages ``t4``, posts) count as ``not_comment``.

    The post's spoiler flag is unknown here; the drama comes from each comment's ``link_title`` if any.
    """
    page = _load(body)
    if not isinstance(page, dict) or page.get("kind") != "Listing":
        return ThreadResult()
    return _comment_listing(page, base_url)


def extract_page(body: str | bytes, url: str, base_url: str | None = None) -> ThreadResult:
    """Any Reddit JSON page by its shape: thread, morechildren answer, comment listing. Thread listings
    (search, ``new``) hold no comments: their posts are read when each thread is fetched."""
    base = base_url or base_url_of(url)
    page = _load(body)
    if isinstance(page, list) and page:
        return _thread(page, base)
    if isinstance(page, dict) and "json" in page:
        return _more_children(page, _Context(base, None, None, None))
    is_listing = isinstance(page, dict) and page.get("kind") == "Listing"
    if is_listing and any(isinstance(c, dict) and c.get("kind") == "t1" for c in _children(page)):
        return _comment_listing(page, base)
    return ThreadResult()
