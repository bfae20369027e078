"""Who said the words a match rests on, and the facilitator's own promises.

A note mixes voices: the member's words ("please don't tell the group"), a third party's words
the member repeats ("her husband told her not to tell anyone") and the facilitator's own ("I
told her I would not mention it in group"). Only the member's words are the member's request.
The facilitator's promise is something else again: it is what the promise guard is for.

The speaker of a match is found from the nearest "someone said/asked/told/promised" before
it in the same sentence, or, for words in quotation marks, from the words that introduce or
follow the quotation ("..., her mother said"). Nothing found: the member (a note is about
what the member said, and a text message or voicemail is in the member's own words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Speaker = Literal["member", "third_party", "facilitator"]

_VERB = (
    r"(?:said|says|say|told|tells|tell|asked|asks|ask|begged|begs|beg|pleaded|pleads|wanted"
    r"|wants|made|makes|insisted|insists|warned|warns|urged|urges|texted|wrote|writes|emailed"
    r"|messaged|whispered|added|stated|states|reported|reports|requested|requests|expressed"
    r"|agreed|agree|promised|promise|assured|assure|reassured|swore|swear|explained|reminded"
    r"|asking|begging|pleading|saying|telling|called|phoned|rang|confided|indicated|mentioned"
    r"|let|made clear|gave|give|committed|confirmed|guaranteed|replied|responded|answered)"
)
_FACILITATOR = (
    r"(?:i|we|(?:this |the )?writer|this (?:clinician|therapist|counselor|counsellor|facilitator)"
    r"|(?:the )?(?:co-?)?facilitator|i've|i'd|i'll)"
)
_THIRD = (
    r"(?:(?:(?:her|his|their|my|the|a|an|[a-z]+'s) (?:[a-z]+ )?)?(?:husband|wife|partner|spouse"
    r"|mother|mom|mum|father|dad|sister|brother|son|daughter|boss|manager|supervisor|sponsor"
    r"|friend|coworker|co-worker|colleague|lawyer|attorney|doctor|psychiatrist|pastor|priest"
    r"|boyfriend|girlfriend|ex|fiance|fiancee|family|parents|kids|child|aunt|uncle|cousin"
    r"|grandmother|grandma|grandfather|grandpa|roommate|landlord|teacher|coach|neighbor"
    r"|neighbour|probation officer|caseworker|employer|in-laws|mother-in-law|father-in-law"
    r"|guardian|foster (?:mom|dad|parent)|stepmom|stepdad|supervisor|pastor|rabbi|imam)s?)"
)
_MEMBER = r"(?:she|he|they|client|clt|pt|patient|member|mbr|the member|the client|[a-z]{2,})"
# "<someone> [up to two words] <verb>", lower case; the subject names the speaker.
_SAYS = re.compile(
    rf"(?<!['\w])(?P<who>{_THIRD}|{_FACILITATOR}|{_MEMBER})"
    rf"(?: (?:had|has|have|then|also|just|later|again|even|finally|kept|actually|did|would"
    rf"|repeatedly|quietly|specifically|explicitly|tearfully|firmly|had to))*"
    rf" (?:{_VERB})\b"
)
_FACILITATOR_ONLY = re.compile(rf"{_FACILITATOR}\Z")
_THIRD_ONLY = re.compile(rf"{_THIRD}\Z")
_NOT_SUBJECT = frozenset(
    "that what who which it this there here and but so or not don't didn't never to for of in"
    " dont didnt wont cant doesnt isnt wasnt pls please text email voicemail vm msg note re"
    " anything something nothing everything anyone someone everyone nobody"
    " would could should will can may might must shall did does do was were is are be been"
    " on at with about if when while because then also just please her him them me us you my"
    " your our".split()
)


def _classify(who: str) -> Speaker | None:
    if _THIRD_ONLY.match(who):
        return "third_party"
    if _FACILITATOR_ONLY.match(who):
        return "facilitator"
    if who.split()[-1] in _NOT_SUBJECT:
        return None
    return "member"


# "was told by her boss", "asked by the pastor": the speaker comes after the verb.
_SAID_BY = re.compile(
    rf"\b(?:told|asked|warned|instructed|made to promise|sworn to secrecy|advised|urged|assured"
    rf"|reassured|promised)"
    rf" by (?P<who>{_THIRD}|(?:the |a |her |his |their )?[a-z]+)"
)
# Charting leaves out "I": "Told pt ...", "Assured clt ...", "Reminded her ..." at the start
# of a sentence or clause is the facilitator speaking.
_BARE_FACILITATOR = re.compile(
    r"(?:^|[;:]\s*|\b(?:and|then)\s+)(?:told|assured|reassured|promised|reminded|explained"
    r"|informed|advised|agreed|let (?:her|him|them|pt|clt|client) know|gave (?:her|him|them"
    r"|pt|clt|client)|encouraged|validated|offered)\b"
)


# "My text back to her: ..." introduces the facilitator's own words.
_MY_WORDS = re.compile(r"\bmy (?:text|reply|response|message|email|answer|note)\b")


def _last_speaker(text: str) -> Speaker | None:
    found: tuple[int, Speaker] | None = None
    for m in _MY_WORDS.finditer(text):
        found = (m.start(), "facilitator")
    for m in _SAYS.finditer(text):
        who = _classify(m.group("who"))
        # "what I told you stays here": a clause about the words, not who says them now.
        before = text[: m.start()]
        if who is None or before.endswith(("what ", "which ", "that ")):
            continue
        if who == "facilitator" and before.endswith(("can ", "could ", "may ", "should ")):
            who = "member"  # "can I tell you something ...?": the member asking
        found = (m.start(), who)
    for m in _SAID_BY.finditer(text):
        who = _classify(m.group("who"))
        if who is not None and (found is None or m.start() >= found[0]):
            found = (m.start(), "third_party" if who == "member" else who)
    for m in _BARE_FACILITATOR.finditer(text):
        if found is None or m.start() > found[0]:
            found = (m.start(), "facilitator")
    return found[1] if found else None


def speaker_of(lowered: str, sentence: tuple[int, int], start: int, end: int) -> Speaker:
    """The speaker of the match ``lowered[start:end]`` in the sentence ``sentence`` (offsets in
    the lower-cased, normalised note)."""
    s_start, s_end = sentence
    before = lowered[s_start:start]
    if before.count('"') % 2 == 1:  # inside a quotation: who introduced or followed it
        opening = s_start + before.rindex('"')
        closing = lowered.find('"', end, s_end)
        intro = _last_speaker(lowered[s_start:opening])
        if closing != -1:
            after = re.match(
                rf"\s*[,.!?]*\s*(?P<who>{_THIRD}|{_FACILITATOR}|{_MEMBER})(?: [a-z]+)? {_VERB}\b",
                lowered[closing + 1 : s_end],
            )
            if after is not None:
                return _classify(after.group("who")) or "member"
        return intro or "member"
    # The match itself may begin with its subject ("i told her i wouldn't"): read the words
    # before it and the match's own first words.
    head = lowered[s_start : min(end, start + 40)]
    return _last_speaker(head) or "member"


@dataclass(frozen=True)
class PromiseMatch:
    start: int
    end: int


_TARGET = (
    r"[^.!?;]{0,60}?\b(?:tell|mention|share|say|raise|bring|disclose|repeat|discuss|group"
    r"|between us|private|confidential|secret|to myself|to ourselves|off the record|this room"
    r"|here|anyone|others)\b"
)
_PROMISE = re.compile(
    # "I told her I would not ...", "writer assured client it would stay private"
    rf"\b{_FACILITATOR} (?:also |then |had |have |verbally |gently )?"
    r"(?:promised|assured|reassured|told|said|guaranteed|swore|confirmed|committed"
    r"|let (?:her|him|them) know|gave (?:her|him|them|client|pt) my word)"
    r"(?: (?:her|him|them|client|pt|the client|the member))?(?: that)?"
    r" (?:i|we|it|this|that|the (?:information|disclosure|matter)|(?:her|his|their) [a-z]+)"
    r"(?:'d| would| will|'ll|'s| is| was| were)?(?: only)?"
    r" (?:not|never|n't|keep|stay|remain|be kept|be held|won't|wouldn't)"
    # "I told him I won't be a vault for ...": a refusal, not a promise.
    rf"(?! be (?:a|an|the|holding|keeping|part|in|someone|somebody)\b){_TARGET}"
    # "I agreed not to bring it up", "I promised to keep it between us"
    rf"|\b{_FACILITATOR} (?:also |then |had |have |verbally )?"
    r"(?:promised|agreed|committed|swore)(?: (?:her|him|them|to (?:her|him|them)))?"
    rf" (?:not to|never to|to not|to keep|to never){_TARGET}"
)
# Charting leaves out "I": "Promised to wait ...", "Agreed to hold off ...", "Assured clt ...".
_BARE_PROMISE = re.compile(
    r"\A\s*(?:promised|agreed|assured|reassured|guaranteed|swore)"
    r"(?: (?:her|him|them|pt|clt|client|the client|the member|mbr|[a-z]+))?"
    r"(?: that)?(?: (?:i|we|it|this|that))?(?:'d| would| will|'ll)?"
    rf" (?:not|never|to not|not to|to keep|to hold off|to wait|keep|stay|hold off|wait){_TARGET}"
)
# "I'm a vault", "told her I'm a locked box": the facilitator's word, in an idiom.
_VAULT = re.compile(
    r"\b(?:i'm|i am|im)(?: like)? (?:a vault|a locked box|a steel trap|a closed book|a tomb"
    r"|a safe)\b"
)
# The facilitator's reply in a thread or a note: "me: ok, will do", "I typed back 'won't'",
# "I DM'd back 'of course'". It promises only when it answers a member's request (see
# ``replies``).
_REPLY = re.compile(
    r"(?:(?:^|\n|[.!?]\s+|/\s*)(?:me|writer|outgoing|facilitator|my reply|my text)\s*[:\-]"
    r"|\b(?:i|writer) (?:typed|wrote|texted|dm'd|dmed|messaged|replied|answered|said|told "
    r"(?:her|him|them))(?: back)?(?: with)?[,:]?)"
    r"\s*\"?\s*(?:ok(?:ay)?|of course|sure|yes|yep|i won't|won't|i will not|promise|i promise"
    r"|understood|will do|not a word|got it|you can|you have my word|my lips are sealed"
    r"|absolutely|no problem|deal)\b"
)
_PROMISE_NEG = re.compile(
    r"\b(?:not|never|didn't|did not|couldn't|could not|can't|cannot|refused to|declined to"
    r"|would not|wouldn't|unable to)\s+(?:\w+\s+){0,1}\Z"
)


_PROMISE_VERBS = (
    "promis", "assur", "told", "said", "guarant", "swore", "confirm", "commit", "let ", "gave",
    "agreed",
)  # fmt: skip


def promises(lowered: str, spans: list[tuple[int, int]] | None = None) -> list[PromiseMatch]:
    """The facilitator's own words promising secrecy ("I told her I would not mention it in
    group", "writer assured client it would stay private"), as offsets in ``lowered``.
    A refusal ("I could not promise to keep it from the group") is not a promise. With
    ``spans`` (the sentences), only sentences with a promising verb are read."""
    found: list[re.Match[str] | _Shifted] = []
    for begin, stop in spans or [(0, len(lowered))]:
        chunk = lowered[begin:stop]
        if any(verb in chunk for verb in _PROMISE_VERBS):
            found.extend(_PROMISE.finditer(lowered, begin, stop))
    for begin, stop in spans or [(0, len(lowered))]:
        chunk = lowered[begin:stop]
        for pattern in (_BARE_PROMISE, _VAULT):
            for hit in pattern.finditer(chunk):
                found.append(_Shifted(hit.start() + begin, hit.end() + begin, hit.group()))
    out: list[PromiseMatch] = []
    for m in found:
        if _PROMISE_NEG.search(lowered, max(0, m.start() - 30), m.start()):
            continue
        if re.search(r"\b(?:could not|couldn't|can't|cannot|not) promise\b", m.group()):
            continue
        if refuses(m.group()):  # "I said I wouldn't keep it from the group"
            continue
        if any(o.start < m.end() and m.start() < o.end for o in out):
            continue
        out.append(PromiseMatch(m.start(), m.end()))
    return out


# The facilitator declining to hold a secret ("I won't be a vault", "I couldn't promise that",
# "it doesn't work that way", "I wouldn't keep it back from the group"): their own words, and
# the opposite of a promise.
_REFUSAL = re.compile(
    r"\b(?:won't|will not|wouldn't|would not|can't|cannot|could not|couldn't|not|never|rather not)"
    r"(?: \w+){0,2}? (?:be (?:a|an|anyone's|your|the group's) (?:vault|go-between|secret[- ]?keeper"
    r"|keeper|holder|safe|locked box|middleman)|be (?:holding|keeping) (?:secrets|things|it)"
    r"|be in the middle|be part of|promise|serve as|hold (?:onto |on to )?(?:secrets|things)"
    r"|keep (?:it|this|that|things|secrets|anything)(?: back)?"
    r" from (?:the group|group|them|the others)"
    r"|keep secrets)"
    r"|\bdoesn't work (?:that|like that)|\bdoes not work (?:that|like that)|\bno secrets\b"
)


def refuses(sentence: str) -> bool:
    """Whether the facilitator's sentence declines to keep something from the group, or
    points to the agreement instead: not a promise, whatever the model hears."""
    return _REFUSAL.search(sentence) is not None


@dataclass(frozen=True)
class _Shifted:
    """A match found in a sentence, with offsets in the whole note."""

    begin: int
    stop: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop

    def group(self) -> str:
        return self.text


def replies(lowered: str) -> list[PromiseMatch]:
    """The facilitator's agreeing replies ("me: ok, will do", "I typed back 'won't'"):
    promises when they answer a request for secrecy made before them (the caller checks)."""
    return [PromiseMatch(m.start(), m.end()) for m in _REPLY.finditer(lowered)]


# The facilitator telling the member what they will do: "I assured her", "writer told pt",
# "I said my lips are sealed", "told clt", "I agreed". A secrecy phrase the rules find after
# such a frame, in the same sentence, is the facilitator's promise, not the member's request.
_LISTENER = (
    r"(?:her|him|them|pt|clt|client|the client|patient|the patient|member|the member|mbr"
    r"|\x00)"
)
_FRAME = re.compile(
    rf"(?:\b{_FACILITATOR}\s+(?:also |then |had |have |just |quickly |gently |verbally )?"
    rf"|(?:^|[;:]\s*|\b(?:and|then)\s+))"
    r"(?:assured|reassured|promised|agreed|guaranteed|swore|committed|indicated|confirmed"
    rf"|told {_LISTENER}|let {_LISTENER} know|gave {_LISTENER} my word"
    r"|said(?:,? (?=\")| (?:that )?(?=(?:my|it|it'd|it'll|it's|this|that|i|i'd|i'll|we|we'd"
    r"|nothing|everything|the|no one|nobody)\b)))"
)
_FRAME_NEG = re.compile(r"\b(?:not|never|n't|didn't|did not|couldn't|could not|can't|cannot)\s*\Z")


def promising_frame(lowered: str, original: str, sentence_start: int, start: int) -> bool:
    """Whether the words before ``start`` in its sentence are the facilitator telling the
    member what they will do ("I assured her ...", "told pt ...", "I told Zoe ...").
    ``original`` (same offsets, case kept) tells a listener's name from other words."""
    before = lowered[sentence_start:start]
    if before.count('"') % 2 == 1:  # inside a quotation: the words that introduce it
        before = before[: before.rindex('"')]
    # A capitalised word after "told" is a listener's name: "I told Zoe it can stay ...".
    masked = re.sub(
        r"\btold ([a-z]+)",
        lambda m: (
            "told \x00" + " " * (len(m.group(1)) - 1)
            if original[sentence_start + m.start(1)].isupper()
            else m.group()
        ),
        before,
    )
    for m in _FRAME.finditer(masked):
        if not _FRAME_NEG.search(masked[: m.start()]):
            return True
    return False
