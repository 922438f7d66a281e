"""The consensus score of one drama (0-100): pure functions, no I/O. Method ``bayes-v1``.

How an opinion becomes a number:

* **Value**: the review's explicit overall score; else the mean of its episode scores; else an editor's value
  (``override_inferred``); else its inferred score (text sentiment), if inferred scores are allowed. The
  ``basis`` says which: ``explicit`` | ``episodes`` | ``editor`` | ``inferred``.
* **Voices**: opinions an editor excluded are left out first. Then one opinion per author (same
  ``author_key``, across reviews and forum comments): the author's latest opinion that has a value
  (``when``, then ``review_id``; an unknown ``when`` counts as oldest) speaks for them, the others are
  ``superseded``. Opinions without an author are a voice each. Copies of one ``review_id`` (a re-crawl) count once.
* **Weight**: ``source_weight`` x ``inferred_weight`` (inferred basis) x ``comment_weight`` (forum comment).
  An editor's value has full weight. A voice of weight 0 (its source muted) is listed but counts nowhere.
* **Score**: the Bayesian (IMDb-style) weighted rating ``WR = v/(v+m)·R + m/(v+m)·C``: R the weighted mean, v
  the sum of weights, m ``prior_weight``, C ``prior_mean`` or else the global mean passed in (with neither,
  WR = R). Few or light opinions are pulled towards C; many approach their own mean.
* **Uncertainty**: weighted (population) standard deviation; a 95% normal interval around R,
  ``R ± 1.96·sd/sqrt(n_eff)`` with Kish's effective n ``(Σw)²/Σw²``, clipped to 0-100. It needs two counted
  voices: with one there is no spread to estimate, and the standard deviation, the interval and the
  agreement label are None. The interval is for R: WR, pulled towards C, may lie outside it. The median is
  the weighted median.
* **Labels**: band from WR rounded to one decimal (the precision shown), with cutoffs (81, 61, 40, 20);
  agreement from the standard deviation (< 10 strong agreement, < 20 some disagreement, else divided;
  None with fewer than two voices); ``tbd`` when fewer than ``min_reviews`` voices are counted (the band is
  still computed). ``pct_positive`` is the share of weight whose value is >= ``positive_cutoff``.
* **Per episode**: from the episode scores of every non-excluded opinion whose source weight is > 0 (an
  episode guide may be split over several posts), one score per voice and episode (the latest), plain mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

METHOD = "bayes-v1"
BAND_LABELS = (
    "universal acclaim",
    "generally favourable",
    "mixed or average",
    "generally unfavourable",
    "overwhelming dislike",
)
AGREEMENT_LABELS = ("strong agreement", "some disagreement", "divided")
Z95 = 1.96
EPOCH = datetime.min.replace(tzinfo=UTC)
# Setting name -> Params field (defaults: `Params`), read by `Params.from_settings`.
SETTINGS = {
    "DRAMASCORE_SCORE_PRIOR_WEIGHT": "prior_weight",
    "DRAMASCORE_SCORE_PRIOR_MEAN": "prior_mean",
    "DRAMASCORE_SCORE_INFERRED_WEIGHT": "inferred_weight",
    "DRAMASCORE_SCORE_COMMENT_WEIGHT": "comment_weight",
    "DRAMASCORE_SCORE_MIN_REVIEWS": "min_reviews",
    "DRAMASCORE_SCORE_POSITIVE_CUTOFF": "positive_cutoff",
    "DRAMASCORE_SCORE_BANDS": "bands",
    "DRAMASCORE_SCORE_AGREEMENT": "agreement",
    "DRAMASCORE_SCORE_USE_INFERRED": "use_inferred",
}


@dataclass
class Opinion:
    """One review or forum comment about a drama, as scoring sees it (scores are 0-100)."""

    review_id: int
    source: str
    kind: str = "review"  # 'review' | 'comment'
    author_key: str | None = None
    when: datetime | None = None
    score: float | None = None  # explicit overall score
    episode_scores: dict[int, float] = field(default_factory=dict)
    inferred: float | None = None
    source_weight: float = 1.0
    excluded: bool = False
    inferred_allowed: bool = True
    editor_score: float | None = None  # an editor's value (override_inferred): used before `inferred`


@dataclass(frozen=True)
class Params:
    """Everything the score depends on besides the opinions; stored with every consensus row."""

    method: str = METHOD
    prior_weight: float = 5.0
    prior_mean: float | None = None  # None: the global mean passed to `consensus`
    inferred_weight: float = 0.3
    comment_weight: float = 0.5
    min_reviews: int = 3
    positive_cutoff: float = 60.0
    bands: tuple[float, ...] = (81.0, 61.0, 40.0, 20.0)
    agreement: tuple[float, ...] = (10.0, 20.0)
    use_inferred: bool = True

    def __post_init__(self) -> None:
        for name in ("prior_weight", "inferred_weight", "comment_weight", "positive_cutoff"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.prior_mean is not None:
            object.__setattr__(self, "prior_mean", float(self.prior_mean))
        object.__setattr__(self, "min_reviews", int(self.min_reviews))
        object.__setattr__(self, "bands", tuple(float(b) for b in self.bands))
        object.__setattr__(self, "agreement", tuple(float(a) for a in self.agreement))
        problems = []
        for name in ("prior_weight", "inferred_weight", "comment_weight"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                problems.append(f"{name} must be a number >= 0")
        if self.prior_mean is not None and not 0 <= self.prior_mean <= 100:
            problems.append("prior_mean must be within 0-100 (or None for the global mean)")
        if self.min_reviews < 0:
            problems.append("min_reviews must be >= 0")
        if len(self.bands) != 4 or list(self.bands) != sorted(self.bands, reverse=True):
            problems.append("bands must be four cutoffs, highest first (81, 61, 40, 20)")
        if len(self.agreement) != 2 or self.agreement[0] > self.agreement[1]:
            problems.append("agreement must be two standard deviations, lowest first (10, 20)")
        if problems:
            raise ValueError("scoring parameters: " + "; ".join(problems))

    @classmethod
    def from_settings(cls, settings: Any) -> Params:
        """Params from DRAMASCORE_SCORE_* (see `SETTINGS`) of Scrapy Settings, a mapping or a module."""
        values: dict[str, Any] = {}
        for name, attr in SETTINGS.items():
            raw = settings.get(name) if hasattr(settings, "get") else getattr(settings, name, None)
            if raw is None or raw == "":
                continue
            values[attr] = _convert(attr, raw)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bands"], data["agreement"] = list(self.bands), list(self.agreement)
        return data


def _convert(attr: str, raw: Any) -> Any:
    """A setting's value (typed, or text from ``-s NAME=VALUE``) as the Params field's type."""
    if attr in ("bands", "agreement"):
        parts = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(float(p) for p in parts)
    if attr == "use_inferred":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
    if attr == "min_reviews":
        return int(raw)
    if attr == "prior_mean" and str(raw).strip().lower() in ("none", "global"):
        return None
    return float(raw)


@dataclass(frozen=True)
class Assessment:
    """What became of one opinion: its value, basis and weight, and whether it counted (``status``).

    ``status``: ``counted`` | ``zero_weight`` | ``unscored`` | ``superseded`` (by ``superseded_by``) | ``excluded``.
    """

    review_id: int
    status: str
    value: float | None = None
    basis: str | None = None
    weight: float = 0.0
    superseded_by: int | None = None


@dataclass
class Result:
    """A drama's consensus; field names match the ``consensus`` table."""

    method: str
    params: dict[str, Any]
    n_reviews: int = 0  # voices: non-excluded opinions, one per author
    n_scored: int = 0  # voices with a value and a positive weight
    n_inferred: int = 0  # of those, valued by an inferred score
    score: float | None = None
    mean: float | None = None
    median: float | None = None
    stdev: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pct_positive: float | None = None
    band: str | None = None
    tbd: bool = True
    agreement: str | None = None
    per_source: dict[str, dict[str, float]] = field(default_factory=dict)
    per_episode: dict[int, dict[str, float]] = field(default_factory=dict)

    @property
    def weight_sum(self) -> float:
        """v, the effective number of opinions (sum of weights)."""
        return math.fsum(s["weight"] for s in self.per_source.values())

    def columns(self) -> dict[str, Any]:
        """The consensus row's columns (episode keys as text, as JSON keeps them)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["per_episode"] = {str(k): v for k, v in sorted(self.per_episode.items())}
        return data

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Result:
        data = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        data["per_episode"] = {int(k): v for k, v in (data.get("per_episode") or {}).items()}
        return cls(**data)


def _clean(x: float | None) -> float | None:
    """A usable 0-100 value: None for missing or non-finite, clipped into range otherwise."""
    if x is None or not math.isfinite(x):
        return None
    return min(100.0, max(0.0, float(x)))


def value_of(op: Opinion, params: Params) -> tuple[float | None, str | None]:
    """The opinion's value and basis, or (None, None) when it has nothing usable."""
    if (score := _clean(op.score)) is not None:
        return score, "explicit"
    episodes = [v for v in map(_clean, op.episode_scores.values()) if v is not None]
    if episodes:
        return min(100.0, math.fsum(episodes) / len(episodes)), "episodes"
    if (editor := _clean(op.editor_score)) is not None:
        return editor, "editor"
    if params.use_inferred and op.inferred_allowed and (inferred := _clean(op.inferred)) is not None:
        return inferred, "inferred"
    return None, None


def weight_of(op: Opinion, basis: str | None, params: Params) -> float:
    w = op.source_weight if math.isfinite(op.source_weight) and op.source_weight > 0 else 0.0
    if basis == "inferred":
        w *= params.inferred_weight
    if op.kind == "comment":
        w *= params.comment_weight
    return w


def _age(op: Opinion) -> tuple:
    # Unknown dates count as oldest; ties broken by review id (a later id was stored later).
    when = op.when
    if when is not None:
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return (when is not None, when or EPOCH, op.review_id)


def _unique(opinions: Iterable[Opinion]) -> list[Opinion]:
    """One opinion per review id (a re-crawled copy counts once), in review-id order."""
    chosen: dict[int, Opinion] = {}
    for op in opinions:
        # Differing copies of one id: keep a deterministic one, whatever the input order.
        if op.review_id not in chosen or repr(op) < repr(chosen[op.review_id]):
            chosen[op.review_id] = op
    return [chosen[k] for k in sorted(chosen)]


def assess(opinions: Iterable[Opinion], params: Params) -> list[Assessment]:
    """One `Assessment` per review id, in review-id order: which opinions speak, with what value and weight."""
    ops = _unique(opinions)
    out: dict[int, Assessment] = {}
    groups: dict[str, list[Opinion]] = {}
    for op in ops:
        if op.excluded:
            out[op.review_id] = Assessment(op.review_id, "excluded")
        else:
            groups.setdefault(op.author_key or f"review:{op.review_id}", []).append(op)
    for members in groups.values():
        valued = [op for op in members if value_of(op, params)[0] is not None]
        speaker = max(valued or members, key=_age)
        for op in members:
            if op is not speaker:
                out[op.review_id] = Assessment(op.review_id, "superseded", superseded_by=speaker.review_id)
        value, basis = value_of(speaker, params)
        weight = weight_of(speaker, basis, params)
        status = "unscored" if value is None else "counted" if weight > 0 else "zero_weight"
        out[speaker.review_id] = Assessment(speaker.review_id, status, value, basis, weight)
    return [out[k] for k in sorted(out)]


def _weighted_median(pairs: list[tuple[float, float]]) -> float:
    pairs = sorted(pairs)
    total = math.fsum(w for _, w in pairs)
    cum = 0.0
    for i, (value, w) in enumerate(pairs):
        cum = math.fsum((cum, w))
        if cum * 2 > total:
            return value
        if cum * 2 == total and i + 1 < len(pairs):
            return (value + pairs[i + 1][0]) / 2
    return pairs[-1][0]


def band_for(score: float | None, params: Params) -> str | None:
    """The band label of a score, judged at one decimal (the precision a report shows)."""
    if score is None:
        return None
    shown = math.floor(score * 10 + 0.5) / 10
    for cutoff, label in zip(params.bands, BAND_LABELS):
        if shown >= cutoff:
            return label
    return BAND_LABELS[-1]


def agreement_for(stdev: float | None, params: Params) -> str | None:
    if stdev is None:
        return None
    for limit, label in zip(params.agreement, AGREEMENT_LABELS):
        if stdev < limit:
            return label
    return AGREEMENT_LABELS[-1]


def _per_episode(ops: list[Opinion]) -> dict[int, dict[str, float]]:
    latest: dict[tuple[str, int], tuple[tuple, float]] = {}
    for op in ops:
        if op.excluded or not (math.isfinite(op.source_weight) and op.source_weight > 0):
            continue
        voice = op.author_key or f"review:{op.review_id}"
        for episode, raw in op.episode_scores.items():
            value = _clean(raw)
            if value is None:
                continue
            key = (voice, int(episode))
            if key not in latest or _age(op) > latest[key][0]:
                latest[key] = (_age(op), value)
    series: dict[int, list[float]] = {}
    for (_, episode), (_, value) in latest.items():
        series.setdefault(episode, []).append(value)
    return {
        ep: {"n": len(vals), "mean": min(100.0, math.fsum(vals) / len(vals))} for ep, vals in sorted(series.items())
    }


def consensus(opinions: Iterable[Opinion], params: Params, global_mean: float | None = None) -> Result:
    """The drama's consensus from its (canonical) opinions; never raises on empty input."""
    ops = _unique(opinions)
    by_id = {op.review_id: op for op in ops}
    assessed = assess(ops, params)
    prior = params.prior_mean if params.prior_mean is not None else _clean(global_mean)
    result = Result(method=params.method, params={**params.as_dict(), "prior_mean_used": prior})
    result.per_episode = _per_episode(ops)
    voices = [a for a in assessed if a.status in ("counted", "zero_weight", "unscored")]
    result.n_reviews = len(voices)

    per_source: dict[str, list[Assessment]] = {}
    for a in voices:
        if a.value is not None:
            per_source.setdefault(by_id[a.review_id].source, []).append(a)
    for source, members in sorted(per_source.items()):
        weight = math.fsum(a.weight for a in members)
        if weight > 0:
            mean = math.fsum(a.value * a.weight for a in members) / weight
        else:  # a muted source: still show what it said
            mean = math.fsum(a.value for a in members) / len(members)
        result.per_source[source] = {"n": len(members), "mean": min(100.0, max(0.0, mean)), "weight": weight}

    counted = [a for a in voices if a.status == "counted"]
    result.n_scored = len(counted)
    result.n_inferred = sum(1 for a in counted if a.basis == "inferred")
    result.tbd = result.n_scored < params.min_reviews
    if not counted:
        return result

    values = [a.value for a in counted]
    v = math.fsum(a.weight for a in counted)
    # Statistics use weights relative to the largest (scale-free), so tiny weights cannot underflow.
    top = max(a.weight for a in counted)
    weights = [a.weight / top for a in counted]
    total = math.fsum(weights)
    r = min(max(math.fsum(x * w for x, w in zip(values, weights)) / total, min(values)), max(values))
    c = r if prior is None else prior
    m = params.prior_weight
    result.mean = r
    result.score = min(100.0, max(0.0, (v / (v + m)) * r + (m / (v + m)) * c))
    result.median = _weighted_median(list(zip(values, weights)))
    positive = math.fsum(w for x, w in zip(values, weights) if x >= params.positive_cutoff)
    result.pct_positive = min(100.0, 100.0 * positive / total)
    result.band = band_for(result.score, params)
    if len(counted) >= 2:  # one voice has no spread
        variance = math.fsum(w * (x - r) ** 2 for x, w in zip(values, weights)) / total
        result.stdev = min(50.0, math.sqrt(max(0.0, variance)))
        n_eff = total * total / math.fsum(w * w for w in weights)  # Kish
        half = Z95 * result.stdev / math.sqrt(n_eff)
        result.ci_low, result.ci_high = max(0.0, r - half), min(100.0, r + half)
        result.agreement = agreement_for(result.stdev, params)
    return result
