"""Which drama is an item about: one drama per show across sites, never two shows merged.

Resolution order for each item (`DramaResolver.resolve`):

1. the site's own drama id (``(source_id, site_id)`` alias);
2. an exact name: the title or native title's `title_key` / `compact_key` equal to an alias of any source
   (years, when both known, must agree; see `aggregator.matching.conflicts`);
3. a fuzzy match (`aggregator.matching`) over every known drama, loaded once per resolver;
4. a new drama, flagged ``needs_review`` with a ``match_note`` when steps 2-3 found it close but not certain.

Every resolved item leaves its names as aliases of the drama (with the source that used them), so the next
item named that way is an exact match. Functions take the caller's Session and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, TypeVar

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aggregator.items import ReviewItem
from aggregator.matching import ACCEPT, DOUBT, Match, TitleFacts, TitleIndex, title_year
from aggregator.store.engine import one_of
from aggregator.store.models import Drama, DramaAlias, Source, compact_title_key, title_key

# Keeps IN lists well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 500
# Tries of one batch's resolution when other writers keep creating its dramas first (each try sees theirs).
RESOLVE_ATTEMPTS = 5

logger = logging.getLogger(__name__)
K = TypeVar("K")


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _names(item: ReviewItem) -> list[str]:
    return [n for n in (item.drama_title, item.drama_native_title) if n]


class AliasFacts(NamedTuple):
    """What resolution reads of a `DramaAlias`: plain values, far cheaper to scan than ORM attributes."""

    alias: str
    alias_key: str
    compact_key: str
    source_id: int | None
    site_id: str | None


ALIAS_COLUMNS = tuple(getattr(DramaAlias, name) for name in AliasFacts._fields)


class DramaResolver:
    """Finds or creates the drama of each item, caching what it has looked up for one batch.

    `prefetch` loads every alias a batch can match exactly in one query (and, when some item has no exact
    candidate, the facts of all dramas for fuzzy matching); later lookups hit the cache, and an item naming
    its drama as an earlier one of the same source did gets that answer again (a memo). Dramas are ORM objects
    in the session, so what one item adds (a drama, an alias, a year) the next item sees; their aliases are
    kept as `AliasFacts` (scanning ORM collections was most of the resolver's time). New aliases are ORM
    objects for the caller's flush, or with ``bulk_aliases`` rows for `write_aliases` (`resolve_batch`).
    `accept` / `doubt` are the fuzzy thresholds of `aggregator.matching.match_title`.
    """

    def __init__(
        self, session: Session, *, accept: float = ACCEPT, doubt: float = DOUBT, bulk_aliases: bool = False
    ) -> None:
        self.session = session
        self.accept, self.doubt = accept, doubt
        self.bulk_aliases = bulk_aliases
        self.pending_aliases: list[tuple[Drama, AliasFacts]] = []  # with `bulk_aliases`: not inserted yet
        self.by_site: dict[tuple[int, str], Drama] = {}
        # Keyed by object identity: a drama created in this batch has no id until the flush.
        self.by_key: dict[str, dict[int, Drama]] = {}
        self.by_compact: dict[str, dict[int, Drama]] = {}
        self.aliases: dict[int, list[AliasFacts]] = {}  # id(drama) -> its aliases, loaded and added
        self._dramas: dict[int, Drama] = {}  # drama id -> the loaded drama
        self._sites_loaded: set[tuple[int, str]] = set()
        self._keys_loaded: set[str] = set()
        self._compacts_loaded: set[str] = set()
        # The fuzzy index over all dramas, built on first need. Its ids are drama ids, or negative numbers
        # for dramas new in this batch; `_ix` maps a Drama's identity to its index id.
        self._index: TitleIndex | None = None
        self._ix: dict[int, int] = {}
        self._by_ix: dict[int, Drama | int] = {}
        self._claimed: dict[int, set[int]] = {}  # source id -> index ids that source gave a site id
        self._indexed: set[int] = set()  # id(drama) of dramas the fuzzy index has as they are now
        self._new: list[Drama] = []
        self._resolved: dict[tuple, Drama] = {}  # `_memo_key` -> the drama found for it

    # --- loading ------------------------------------------------------------------------------------------

    def prefetch(self, pairs: Iterable[tuple[Source, ReviewItem]]) -> None:
        pairs = list({_memo_key(source, item): (source, item) for source, item in pairs}.values())
        sites = {(source.id, item.drama_site_id) for source, item in pairs if item.drama_site_id}
        names = {n for _, item in pairs for n in _names(item)}
        keys, compacts = {title_key(n) for n in names}, {compact_title_key(n) for n in names}
        self._load(sites - self._sites_loaded, keys - self._keys_loaded, compacts - self._compacts_loaded)
        if any(self._needs_fuzzy(source, item) for source, item in pairs):
            self._load_index()

    def _needs_fuzzy(self, source: Source, item: ReviewItem) -> bool:
        if item.drama_site_id and (source.id, item.drama_site_id) in self.by_site:
            return False
        names = _names(item)
        found = any(title_key(n) in self.by_key or compact_title_key(n) in self.by_compact for n in names)
        return bool(names) and not found

    def _load(self, sites: set[tuple[int, str]], keys: set[str], compacts: set[str]) -> None:
        if not (sites or keys or compacts):
            return
        grouped: dict[int, list[str]] = {}
        for source_id, site_id in sites:
            grouped.setdefault(source_id, []).append(site_id)
        conditions = [
            (DramaAlias.source_id == sid) & one_of(self.session, DramaAlias.site_id, chunk)
            for sid, ids in sorted(grouped.items())
            for chunk in _chunks(sorted(ids))
        ]
        conditions += [one_of(self.session, DramaAlias.alias_key, chunk) for chunk in _chunks(sorted(keys))]
        conditions += [one_of(self.session, DramaAlias.compact_key, chunk) for chunk in _chunks(sorted(compacts))]
        self._load_dramas(Drama.id.in_(select(DramaAlias.drama_id).where(or_(*conditions))))
        self._sites_loaded |= sites
        self._keys_loaded |= keys
        self._compacts_loaded |= compacts

    def _load_dramas(self, where: ColumnElement[bool]) -> None:
        """Load the dramas matching `where` that are not loaded yet, with their aliases: two queries."""
        # No autoflush: dramas new in this batch stay pending (and id-less) until the caller flushes.
        with self.session.no_autoflush:
            dramas = [d for d in self.session.scalars(select(Drama).where(where)) if d.id not in self._dramas]
            rows: dict[int, list[AliasFacts]] = {d.id: [] for d in dramas}
            query = select(DramaAlias.drama_id, *ALIAS_COLUMNS).order_by(DramaAlias.id)
            for chunk in _chunks(sorted(rows)):
                found = self.session.execute(query.where(one_of(self.session, DramaAlias.drama_id, chunk)))
                for drama_id, *values in found:
                    rows[drama_id].append(AliasFacts(*values))
        # Aliases another resolver added to this session and nobody flushed yet are not in the database.
        for alias in self.session.new:
            if isinstance(alias, DramaAlias) and alias.drama is not None and alias.drama.id in rows:
                rows[alias.drama.id].append(AliasFacts(*(getattr(alias, name) for name in AliasFacts._fields)))
        for drama in dramas:
            self._dramas[drama.id] = drama
            self.aliases[id(drama)] = []
            for alias in rows[drama.id]:
                self._index_alias(drama, alias)

    def _load_index(self) -> TitleIndex:
        """Facts of every drama for fuzzy matching: two queries, once per resolver."""
        if self._index is not None:
            return self._index
        index = self._index = TitleIndex()
        with self.session.no_autoflush:
            dramas = self.session.execute(
                select(Drama.id, Drama.title, Drama.native_title, Drama.year, Drama.episodes)
            ).all()
            aliases = self.session.execute(
                select(DramaAlias.drama_id, DramaAlias.alias, DramaAlias.source_id, DramaAlias.site_id)
            ).all()
        titles: dict[int, list[str]] = {}
        for drama_id, alias, source_id, site_id in aliases:
            titles.setdefault(drama_id, []).append(alias)
            if source_id is not None and site_id is not None:
                self._claimed.setdefault(source_id, set()).add(drama_id)
        # A drama this resolver created and the caller has flushed since is indexed once, from the object.
        tracked = {d.id for d in self._new if d.id is not None and self._ix.get(id(d), 0) < 0}
        for drama_id, title, native, year, episodes in dramas:
            if drama_id in tracked:
                continue
            names = [t for t in (title, native, *titles.get(drama_id, ())) if t]
            index.add(drama_id, TitleFacts(names, year, episodes))
            self._by_ix.setdefault(drama_id, drama_id)
        # What this batch changed is not in the database yet (no flush): add it from the session's objects.
        for drama in {id(d): d for ds in self.by_key.values() for d in ds.values()}.values():
            self._refresh(drama)
        for drama in self._new:
            self._refresh(drama)
        return index

    def _ix_of(self, drama: Drama) -> int:
        if id(drama) not in self._ix:
            self._ix[id(drama)] = drama.id if drama.id is not None else -(len(self._ix) + 1)
        ix = self._ix[id(drama)]
        self._by_ix[ix] = drama
        return ix

    def _facts(self, drama: Drama) -> TitleFacts:
        titles = [drama.title, drama.native_title, *(a.alias for a in self.aliases[id(drama)])]
        return TitleFacts([t for t in dict.fromkeys(titles) if t], drama.year, drama.episodes)

    def _refresh(self, drama: Drama) -> None:
        """Bring the fuzzy index up to date with `drama` (new titles, year, episodes, site ids)."""
        if self._index is None:
            return
        ix = self._ix_of(drama)
        self._index.add(ix, self._facts(drama))
        for alias in self.aliases[id(drama)]:
            if alias.source_id is not None and alias.site_id is not None:
                self._claimed.setdefault(alias.source_id, set()).add(ix)
        self._indexed.add(id(drama))

    def _index_alias(self, drama: Drama, alias: AliasFacts) -> None:
        self.aliases[id(drama)].append(alias)
        if alias.source_id is not None and alias.site_id is not None:
            self.by_site[(alias.source_id, alias.site_id)] = drama
        self.by_key.setdefault(alias.alias_key, {})[id(drama)] = drama
        self.by_compact.setdefault(alias.compact_key, {})[id(drama)] = drama

    # --- lookups ------------------------------------------------------------------------------------------

    def by_site_id(self, source: Source, site_id: str) -> Drama | None:
        if (source.id, site_id) not in self._sites_loaded:
            self._load({(source.id, site_id)}, set(), set())
        return self.by_site.get((source.id, site_id))

    def by_title(self, title: str) -> list[Drama]:
        """Dramas with an alias of this exact key or compact key (any source), oldest first."""
        key, compact = title_key(title), compact_title_key(title)
        self._load(set(), {key} - self._keys_loaded, {compact} - self._compacts_loaded)
        found = {**self.by_key.get(key, {}), **self.by_compact.get(compact, {})}
        return sorted(found.values(), key=lambda d: (d.id is None, d.id or 0))

    # --- resolution ---------------------------------------------------------------------------------------

    def resolve(self, source: Source, item: ReviewItem) -> Drama:
        memo = _memo_key(source, item)
        if memo in self._resolved:
            # Resolved before in this batch, and that left everything the item says on the drama.
            return self._resolved[memo]
        drama = self.by_site_id(source, item.drama_site_id) if item.drama_site_id else None
        match = None
        if drama is None:
            drama, match = self._match(source, item)
        if drama is None:
            drama = self._create(source, item, match)
        if self._fill(drama, source, item) or id(drama) not in self._indexed:
            self._refresh(drama)
        self._resolved[memo] = drama
        return drama

    def _candidate(self, item: ReviewItem) -> TitleFacts:
        names = _names(item)
        year = item.drama_year or next(filter(None, map(title_year, names)), None)
        return TitleFacts(names, year, item.drama_episodes)

    def _other_site_id(self, drama: Drama, source: Source, item: ReviewItem) -> bool:
        # The same site giving another id means another drama that happens to share the name.
        return bool(item.drama_site_id) and any(a.source_id == source.id and a.site_id for a in self.aliases[id(drama)])

    def _match(self, source: Source, item: ReviewItem) -> tuple[Drama | None, Match | None]:
        candidate = self._candidate(item)
        if not candidate.titles:
            return None, None
        # Step 2, exact: only the dramas sharing a key, matched with the same rules as the fuzzy index.
        exact, local = TitleIndex(), {}
        for drama in {id(d): d for t in candidate.titles for d in self.by_title(t)}.values():
            if not self._other_site_id(drama, source, item):
                ix = self._ix_of(drama)
                exact.add(ix, self._facts(drama))
                local[ix] = drama
        keys = {title_key(t) for t in candidate.titles}
        # Of dramas sharing the name, the one this source already called so is its own earlier choice.
        prefer = [ix for ix, d in local.items() if any(a.source_id == source.id and a.alias_key in keys
                                                        for a in self.aliases[id(d)])]  # fmt: skip
        match = exact.match(candidate, fuzzy=False, prefer=prefer)
        if match.drama_id is not None:
            return local[match.drama_id], match
        if match.doubtful:
            return None, match
        # Step 3, fuzzy over every known drama.
        index = self._load_index()
        exclude = self._claimed.get(source.id, set()) if item.drama_site_id else set()
        match = index.match(candidate, accept=self.accept, doubt=self.doubt, exclude=exclude)
        if match.drama_id is not None:
            return self._drama(match.drama_id), match
        return None, match

    def _drama(self, ix: int) -> Drama:
        target = self._by_ix[ix]
        if isinstance(target, Drama):
            return target
        if target not in self._dramas:
            self._load_dramas(Drama.id == target)
        return self._dramas[target]

    def _create(self, source: Source, item: ReviewItem, match: Match | None) -> Drama:
        title = item.drama_title or item.drama_native_title
        if not title and not item.drama_site_id:
            raise ValueError(f"review {item.source}:{item.source_review_id} names no drama (no title, no site id)")
        drama = Drama(title=title or _placeholder(source, item.drama_site_id), needs_review=False)
        if match is not None and match.doubtful:
            drama.needs_review = True
            drama.match_note = self._described(match)
        self.session.add(drama)
        self.aliases[id(drama)] = []
        self._new.append(drama)
        return drama  # `_fill` sets the other fields

    def _described(self, match: Match) -> str | None:
        """The note, naming a drama new in this batch by words instead of its temporary (negative) id."""
        note = match.note
        for ix in match.near:
            drama = self._by_ix.get(ix)
            if note and ix < 0 and isinstance(drama, Drama):
                real = f"drama {drama.id}" if drama.id is not None else "drama (new in this batch)"
                note = note.replace(f"drama {ix} '", f"{real} '")
        return note

    def _fill(self, drama: Drama, source: Source, item: ReviewItem) -> bool:
        """Add what the item knows and the drama does not: fields, the site id, the names as aliases.

        Returns whether the drama changed. Only changed attributes are set: setting one to its own value
        still marks the drama dirty, and the flush then compares every loaded drama.
        """
        names = _names(item)
        values = {"native_title": drama.native_title or item.drama_native_title,
                  "year": drama.year or item.drama_year or next(filter(None, map(title_year, names)), None),
                  "episodes": drama.episodes or item.drama_episodes,
                  "country": drama.country or item.drama_country}  # fmt: skip
        if item.drama_title and item.drama_site_id and drama.title == _placeholder(source, item.drama_site_id):
            values["title"] = item.drama_title
        changed = {name: value for name, value in values.items() if getattr(drama, name) != value}
        for name, value in changed.items():
            setattr(drama, name, value)
        added = False
        if item.drama_site_id and (source.id, item.drama_site_id) not in self.by_site:
            added = self._add_alias(drama, names[0] if names else drama.title, source, item.drama_site_id)
        for name in names:
            key = title_key(name)
            if not any(a.alias_key == key and a.source_id == source.id for a in self.aliases[id(drama)]):
                added = self._add_alias(drama, name, source, None)
        return bool(changed) or added

    def _add_alias(self, drama: Drama, name: str, source: Source, site_id: str | None) -> bool:
        facts = AliasFacts(name, title_key(name), compact_title_key(name), source.id, site_id)
        if self.bulk_aliases:
            self.pending_aliases.append((drama, facts))
        else:  # through the backref: appending to ``drama.aliases`` would load the whole collection first
            self.session.add(DramaAlias(drama=drama, **facts._asdict()))
        self._index_alias(drama, facts)
        return True

    def write_aliases(self) -> None:
        """Insert the aliases kept as rows (``bulk_aliases``) in one executemany, once new dramas have ids."""
        rows = [{"drama_id": drama.id, **facts._asdict()} for drama, facts in self.pending_aliases]
        if rows:
            self.session.execute(insert(DramaAlias.__table__), rows)
        self.pending_aliases = []


def _memo_key(source: Source, item: ReviewItem) -> tuple:
    """Everything `DramaResolver.resolve` reads of an item: equal keys resolve to the same drama."""
    return (source.id, item.drama_site_id, item.drama_title, item.drama_native_title, item.drama_year,
            item.drama_episodes, item.drama_country)  # fmt: skip


def resolve_batch(
    session: Session, pairs: Mapping[K, tuple[Source, ReviewItem]], *, attempts: int = RESOLVE_ATTEMPTS, **match: float
) -> dict[K, Drama]:
    """The drama of each (source, item) of a batch; new dramas are flushed (they have ids), new aliases written.

    Two writers (PostgreSQL workers) can create the same drama at the same moment: the second one's insert
    of the site alias waits for the first to commit, then fails on the unique (source, site id). That try is
    rolled back to a savepoint and the batch resolved again, which now finds the first writer's rows.
    `match` passes the fuzzy thresholds (``accept``, ``doubt``) to `DramaResolver`.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session.begin_nested():
                resolver = DramaResolver(session, bulk_aliases=True, **match)
                resolver.prefetch(pairs.values())
                dramas = {key: resolver.resolve(source, item) for key, (source, item) in pairs.items()}
                session.flush()
                resolver.write_aliases()
            return dramas
        except IntegrityError as exc:
            if attempt == attempts:
                raise
            logger.info("another writer created a drama of this batch first (try %d/%d): %s", attempt, attempts, exc.orig)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _placeholder(source: Source, site_id: str | None) -> str:
    """Title of a drama known only by a site id, replaced once an item names it."""
    return f"[{source.name} {site_id}]"


def resolve_drama(
    session: Session, source: Source, item: ReviewItem, *, resolver: DramaResolver | None = None
) -> Drama:
    """The drama `item` is about: by site id, exact name, fuzzy name, else a new one (see the module doc).

    Pass the batch's `resolver` to reuse its cache; without one, this looks the item up on its own.
    """
    return (resolver or DramaResolver(session)).resolve(source, item)


def rekey_aliases(session: Session) -> int:
    """Recompute every alias's stored keys with the current normalisation; returns how many changed.

    Needed after `aggregator.matching.title_key` changes, so exact lookups keep finding old aliases.
    """
    changed = []
    for alias_id, alias, key, compact in session.execute(
        select(DramaAlias.id, DramaAlias.alias, DramaAlias.alias_key, DramaAlias.compact_key)
    ):
        new = (title_key(alias), compact_title_key(alias))
        if new != (key, compact):
            changed.append({"id": alias_id, "alias_key": new[0], "compact_key": new[1]})
    if changed:
        session.execute(update(DramaAlias), changed)
    return len(changed)
