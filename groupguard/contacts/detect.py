"""Confidentiality requests, the facilitator's promises and risk in a contact note.

A facilitator notes a contact with a group member outside the session (after group, on the
phone, in a message). If the member asked for secrecy, that request raises the facilitator's
exposure when the material later comes up in group, so the note is read as it is typed and on
save. What the detector finds is a suggestion: the facilitator answers.

Two readers decide together:

- **the rules** (``detector.rules``): phrases a person would point at ("please don't tell the
  group", "nobody in the group knows"), each with its id and a one-line explanation;
- **the model** (``detector.model``): a linear model over words and letter pieces, trained on
  the team's corpus of contact notes (corpus/detector/), that hears wordings no rule lists
  ("requested confidentiality re: the DUI", "none of this goes back to group, right?"). It
  scores each sentence, and each pair of neighbouring sentences.

A note is **explicit** when a rule or the model finds the member asking in words, **implied**
when their words or conduct show they expect the group not to hear it, else **none**. Each
finding says **who said it** (``detector.speaker``): only the member's words make a request. A
third party's words the member repeats are set aside; the facilitator's own promise of
secrecy ("I told her I would not mention it in group") is reported as a **promise**, for the
promise guard. **Risk flags** (``detector.risk``: a threat, suicidal thoughts, self-harm,
abuse of a child, an elder or a dependent adult, substance use) come from the same pass, each
with its span, to propose facts for "may I raise this in group?"; they decide nothing.

Offsets index the original text. No Django import: ``groupguard detect`` uses this module
before Django starts.
"""

from __future__ import annotations

from groupguard.contacts.detector import model as detector_model
from groupguard.contacts.detector.features import NORMALISE, sentences
from groupguard.contacts.detector.results import (
    Detection,
    Evidence,
    Flag,
    Match,
    Request,
    UnsupportedLanguage,
    describe,
)
from groupguard.contacts.detector.risk import risk_matches
from groupguard.contacts.detector.rules import (
    RANK,
    RULES,
    RULES_BY_ID,
    SUPPORTED_LANGUAGES,
    rule_matches,
)
from groupguard.contacts.detector.speaker import (
    Speaker,
    promises,
    promising_frame,
    refuses,
    replies,
    speaker_of,
)

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "SUPPORTED_LANGUAGES",
    "Detection",
    "Evidence",
    "Flag",
    "Match",
    "Request",
    "UnsupportedLanguage",
    "describe",
    "detect",
    "detector_version",
]

RULES_VERSION = "rules-2026.2"


def decide(evidence: Evidence, thresholds: dict[str, float]) -> tuple[Request, bool, set[str]]:
    """The request, whether the facilitator promised, and the risk flags: a rule, or the model
    at or above its threshold (fitted on the development families by the trainer). The model
    hears a request when "some request" is likely enough; "explicit" then splits it."""
    request: Request = "none"
    heard = evidence.p_request >= thresholds["request"]
    if "explicit" in evidence.rule_levels or (
        heard and evidence.p_explicit >= thresholds["explicit"]
    ):
        request = "explicit"
    elif "implied" in evidence.rule_levels or heard:
        request = "implied"
    promise = evidence.rule_promise or evidence.p_promise >= thresholds["promise"]
    risks = set(evidence.rule_risks)
    risks.update(k for k, p in evidence.p_risks.items() if p >= thresholds[f"risk.{k}"])
    return request, promise, risks


_VERSION: str | None = None


def detector_version() -> str:
    """The rules' and the model's versions, as stored with every suggestion."""
    global _VERSION
    if _VERSION is None:
        _VERSION = f"{RULES_VERSION}+{detector_model.load().version}"
    return _VERSION


def __getattr__(name: str) -> str:
    # DETECTOR_VERSION reads the model file: lazily, so importing this module stays cheap.
    if name == "DETECTOR_VERSION":
        return detector_version()
    raise AttributeError(name)


def detect(text: str, language: str = "en") -> Detection:
    """Read ``text`` for requests for secrecy, the facilitator's promises and risk."""
    if language not in RULES:
        raise UnsupportedLanguage(
            f"unsupported language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    if not text or text.isspace():
        return Detection("none", (), model=detector_version())
    return _Reading(text, language).detection()


def _model_only(
    units: list[detector_model.Scores], model: detector_model.Model
) -> tuple[float, float, float, dict[str, float]]:
    """The model's highest probabilities over ``units``: explicit, some request, promise,
    and each risk."""
    if not units:
        return 0.0, 0.0, 0.0, dict.fromkeys(detector_model.RISKS, 0.0)
    return (
        max(u.request["explicit"] for u in units),
        max(1.0 - u.request["none"] for u in units),
        max(units, key=lambda u: u.raw[model._promise]).promise,
        {k: max(units, key=lambda u: u.raw[i]).risk(k) for k, i in model._risk_index.items()},
    )


class _Reading:
    """One note read by the rules and the model; ``detection()`` decides."""

    def __init__(self, text: str, language: str, model: detector_model.Model | None = None) -> None:
        self.text = text
        scan = text.translate(NORMALISE)
        lowered = scan.lower()
        if len(lowered) != len(scan):
            # A letter whose lower case is longer ("İ"): lower the others one by one, so
            # offsets in the scan are offsets in the note.
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in scan)
        self.lowered = lowered
        # The shipped model, or (for the trainer) the one being fitted.
        self.model = model or detector_model.load()
        self.sentences = sentences(lowered)
        spans = [(s, e) for s, e, _ in self.sentences] or [(0, len(text))]
        self.spans = spans
        # Rule matches, each with its speaker.
        self.rule_found: list[tuple[int, int, str, Speaker]] = []
        # Where a rule's candidate was vetoed (a negation, a habit, a question about the
        # policy), the rules know better than the model: its reading there does not count.
        self.vetoed: list[tuple[int, int]] = []
        self.promise_found = [(p.start, p.end) for p in promises(self.lowered, spans)]
        found = rule_matches(self.lowered, language, self.vetoed, spans)
        for start, end, rule in found:
            sentence = self._sentence_of(start)
            if promising_frame(self.lowered, text, sentence[0], start):
                # "I assured her it stays between us": the facilitator's promise.
                if not any(ps < end and start < pe for ps, pe in self.promise_found):
                    self.promise_found.append((start, end))
                who: Speaker = "facilitator"
            else:
                who = self._speaker(start, end)
            self.rule_found.append((start, end, rule.id, who))
        self.risk_found = risk_matches(self.lowered, spans)
        # The model: each sentence, and each pair of neighbours (vectors add).
        vectors = [self.model.vector(w) for _, _, w in self.sentences]
        self.silenced = [
            any(vs < e and s < ve for vs, ve in self.vetoed) for s, e, _ in self.sentences
        ]
        self.units: list[tuple[int, int, list[str], detector_model.Scores]] = []
        for (s, e, w), v in zip(self.sentences, vectors, strict=True):
            self.units.append((s, e, w, self.model.score(v)))
        for i in range(len(self.sentences) - 1):
            if self.silenced[i] or self.silenced[i + 1]:
                continue
            (s, _, w1), (_, e, w2) = self.sentences[i], self.sentences[i + 1]
            pair = [a + b for a, b in zip(vectors[i], vectors[i + 1], strict=True)]
            self.units.append((s, e, w1 + w2, self.model.score(pair)))
        # The facilitator's agreeing reply ("me: ok, will do") promises when it answers a
        # member's request made before it: a rule's, or a sentence the model hears as one.
        for reply in replies(self.lowered):
            if any(rp < reply.end and reply.start < rq for rp, rq in self.promise_found):
                continue
            threshold = self.model.thresholds["request"]
            asked = any(
                who == "member" and end <= reply.start for _, end, _, who in self.rule_found
            ) or any(
                u[0] < reply.start and 1.0 - u[3].request["none"] >= threshold
                for u in self._heard_units()
            )
            if asked:
                self.promise_found.append((reply.start, reply.end))

    def _speaker(self, start: int, end: int) -> Speaker:
        """Whose words ``start:end`` are. "I" in a note is the facilitator, but in a text, an
        email or a voicemail it is the member: the facilitator's words count as theirs only in
        a sentence where they promise something (``promises``); elsewhere "I'd ask that this
        not be shared with the group" is the member writing."""
        sentence = self._sentence_of(start)
        who = speaker_of(self.lowered, sentence, start, end)
        if who == "facilitator" and not any(
            sentence[0] <= p < sentence[1] for p, _ in self.promise_found
        ):
            return "member"
        return who

    def _sentence_of(self, offset: int) -> tuple[int, int]:
        for span in self.spans:
            if span[0] <= offset < span[1]:
                return span
        return (0, len(self.text))

    def _heard_units(self) -> list[tuple[int, int, list[str], detector_model.Scores]]:
        """The units (sentences, then pairs) whose request reading counts."""
        return [
            u for i, u in enumerate(self.units) if not (i < len(self.silenced) and self.silenced[i])
        ]

    def _heard(self) -> list[detector_model.Scores]:
        """The units whose request reading counts: not a sentence where a rule was vetoed."""
        return [u[3] for u in self._heard_units()]

    def evidence(self, *, rules: bool = True) -> Evidence:
        """What was found; ``rules=False`` is the model alone (for the bench's comparison)."""
        if not rules:
            units = [u[3] for u in self.units]
            best = _model_only(units, self.model)
            return Evidence(set(), best[0], best[1], best[2], best[3], False, set())
        return self._evidence()

    def _evidence(self) -> Evidence:
        units = [u[3] for u in self.units]
        promise = self.model._promise
        heard = self._heard()
        # Where a rule already read the member's words, its level stands: the model's
        # "explicit" counts only in sentences no rule matched.
        ruled = [(s, e) for s, e, _, who in self.rule_found if who == "member"]
        unruled = [
            u[3]
            for i, u in enumerate(self.units[: len(self.sentences)])
            if not self.silenced[i] and not any(rs < u[1] and u[0] < re for rs, re in ruled)
        ]
        # Each column's highest raw score over the units: the sigmoid keeps order, so the
        # highest probability is that of the highest score.
        top = [max(column) for column in zip(*(u.raw for u in units), strict=True)]
        return Evidence(
            rule_levels={
                RULES_BY_ID[r].level for _, _, r, who in self.rule_found if who == "member"
            },
            p_explicit=max((u.request["explicit"] for u in unruled), default=0.0),
            p_request=max((1.0 - u.request["none"] for u in heard), default=0.0),
            p_promise=detector_model._sigmoid(top[promise]) if top else 0.0,
            p_risks={
                k: detector_model._sigmoid(top[i]) if top else 0.0
                for k, i in self.model._risk_index.items()
            },
            rule_promise=bool(self.promise_found),
            rule_risks={m.kind for m in self.risk_found},
        )

    def detection(self) -> Detection:
        evidence = self.evidence()
        thresholds = self.model.thresholds
        request, promised, risks = decide(evidence, thresholds)
        text = self.text
        kept: list[Match] = []
        aside: list[Match] = []
        # Of overlapping rule matches, explicit beats implied, then the longer wins.
        ranked = sorted(self.rule_found, key=lambda m: (RANK[RULES_BY_ID[m[2]].level], m[0] - m[1]))
        for start, end, rule, who in ranked:
            match = Match(start, end, text[start:end], rule, RULES_BY_ID[rule].level, who)
            bucket = kept if who == "member" else aside
            if all(end <= m.start or start >= m.end for m in bucket):
                bucket.append(match)
        # The model's sentences, where no rule already shows the request.
        if request != "none":
            level = request
            column = "explicit" if level == "explicit" else None
            for start, end, words, _ in self._best_units(level, thresholds):
                if any(m.start < end and start < m.end for m in kept):
                    continue
                carriers = self.model.carriers(words, f"request.{column or 'implied'}")
                who = self._unit_speaker(start, end, carriers)
                match = Match(
                    start, end, text[start:end], f"model.{level}", level, who, tuple(carriers)
                )
                (kept if who == "member" else aside).append(match)
        if request != "none" and not any(m.speaker == "member" for m in kept):
            request = "none"  # every finding was someone else's words
        promise_matches = [
            Match(s, e, text[s:e], "promise.facilitator", "promise", "facilitator")
            for s, e in self.promise_found
        ]
        if promised and not promise_matches:
            best = max(self.units, key=lambda u: u[3].promise)
            # The model's promise counts only in the facilitator's own words: a sentence of
            # its best unit that the facilitator speaks ("writer assured clt ...", "I said
            # sure", "me: no, I won't"), read whole; the match is the likeliest such sentence.
            spoken = [
                u
                for u in self.units[: len(self.sentences)]
                if u[0] < best[1]
                and best[0] < u[1]
                and speaker_of(self.lowered, (u[0], u[1]), u[1] - 1, u[1]) == "facilitator"
                and not refuses(self.lowered[u[0] : u[1]])
            ]
            # Read alone, that sentence must still sound like a promise (more likely than
            # not): a pair of sentences can score high on the member's words alone.
            if spoken and (chosen := max(spoken, key=lambda u: u[3].promise))[3].promise >= 0.5:
                best = chosen
                carriers = self.model.carriers(best[2], "promise")
            else:
                promised = False
        if promised and not promise_matches:
            promise_matches.append(
                Match(
                    best[0],
                    best[1],
                    text[best[0] : best[1]],
                    "model.promise",
                    "promise",
                    "facilitator",
                    tuple(carriers),
                )
            )
        flags = [
            Flag(m.kind, m.start, m.end, text[m.start : m.end], f"risk.{m.kind}")
            for m in self.risk_found
        ]
        for kind in sorted(risks - {f.kind for f in flags}):
            best = max(self.units, key=lambda u: (u[3].risk(kind), u[0] - u[1]))
            flags.append(
                Flag(kind, best[0], best[1], text[best[0] : best[1]], f"model.risk.{kind}")
            )
        scores = {
            "explicit": evidence.p_explicit,
            "request": evidence.p_request,
            "promise": evidence.p_promise,
        } | evidence.p_risks
        return Detection(
            request,
            tuple(sorted(kept, key=lambda m: m.start)),
            tuple(sorted(aside, key=lambda m: m.start)),
            tuple(sorted(promise_matches, key=lambda m: m.start)),
            tuple(sorted(flags, key=lambda f: f.start)),
            scores,
            detector_version(),
        )

    def _best_units(
        self, level: str, thresholds: dict[str, float]
    ) -> list[tuple[int, int, list[str], detector_model.Scores]]:
        """The units the model's decision rests on: the sentences over the threshold, else the
        best pair of sentences."""

        def value(scores: detector_model.Scores) -> float:
            if level == "explicit":
                return scores.request["explicit"]
            return 1.0 - scores.request["none"]

        limit = thresholds["explicit" if level == "explicit" else "request"]
        single = [u for u in self.units[: len(self.sentences)] if value(u[3]) >= limit]
        if single:
            return single
        over = [u for u in self.units if value(u[3]) >= limit]
        return [max(over, key=lambda u: value(u[3]))] if over else []

    def _unit_speaker(self, start: int, end: int, carriers: list[str]) -> Speaker:
        """Whose words a unit is: the speaker at its strongest word."""
        at = start
        if carriers:
            found = self.lowered.find(carriers[0], start, end)
            at = found if found != -1 else start
        return self._speaker(at, min(end, at + 1))
