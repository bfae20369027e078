"""The explainable rules of the confidentiality-request detector.

Terms:

- A **rule** is data: an id (``explicit.dont-tell``), a level, a language, a compiled regular
  expression, a one-line explanation and example phrases (the tests check every example).
- **explicit**: the member asked for secrecy, to the facilitator's face or as reported in the
  note ("please don't tell the group", "she asked me not to tell the others", "promise you
  won't", "can this stay here?"), or the note records a promise of secrecy.
- **implied**: no request, but the member's words or conduct show they expected privacy
  ("nobody in the group knows", "I waited until everyone left", "the others can't find out").
- A **veto** drops a candidate match when the words just before it, in the same clause, show
  it is not a request: a negation ("she didn't ask me to keep it private"), a subject that
  makes a habit of a would-be imperative ("I don't tell anyone my plans"), or ``whether``/
  ``if`` before "keep it confidential" (a question about the policy, see below).

Decisions, so the rules stay explainable:

- Mentions of secrecy that ask nothing are not requests: "we talked about confidentiality in
  group", "it's fine to share this with the group", "nothing is secret in group".
- A question about the group's policy ("he asked whether the group keeps things confidential",
  "does what I say stay confidential?") is not a request: it asks what the rule is, and the
  answer is the group agreement. A question asking the facilitator to do something ("can
  this stay here?", "she asked if I could keep it private") is a request.
- "I don't want the group to know" is implied, not explicit: it states a wish but asks
  nothing of the facilitator. It is still shown, and it still matters.

Matching runs on the note normalised (``features.NORMALISE``: curly quotes, dashes and odd
spaces mapped one character to one, so offsets do not move) and lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from groupguard.contacts.detector.features import Needles

Level = Literal["explicit", "implied"]
# How far back a veto looks, in characters (it also stops at punctuation).
_PREFIX_WINDOW = 80
RANK = {"explicit": 0, "implied": 1}


@dataclass(frozen=True)
class Veto:
    """Drops a candidate when ``pattern`` matches the end of the text before it (and, if
    ``only_before`` is set, the candidate itself begins with it)."""

    id: str
    pattern: re.Pattern[str]
    explanation: str
    only_before: re.Pattern[str] | None = None
    # The veto does not apply when this matches the end of the text before the candidate too
    # ("she asked writer to keep it from the group": "to keep" after a request is no habit).
    unless: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    language: str
    # The regular expression, in lower case: it runs on the lower-cased note.
    source: str
    explanation: str
    vetoes: tuple[Veto, ...]
    examples: tuple[str, ...]
    # Lower-case words the pattern cannot match without: one from each tuple must occur in
    # the note, or the pattern is not tried (a cheap check that keeps detection fast).
    needs: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled expression. Compiled on first use: compiling every rule takes about
        50 ms, which ``groupguard detect`` would otherwise pay on each run for rules whose
        ``needs`` the note does not meet."""
        return re.compile(self.source)


# --- English -------------------------------------------------------------------------------
# Templates: {NAME} inserts a fragment, a space means "one or more whitespace characters",
# and n't also matches nt ("dont"). Optional words carry their own trailing space.
_F: dict[str, str] = {}


def _x(template: str) -> str:
    """Insert the fragments named ``{NAME}`` (upper case, so ``{0,40}`` is left alone)."""
    return re.sub(r"\{([A-Z_]+)\}", lambda m: _F[m.group(1)], template)


_F["PLEASE"] = r"(?:(?:please|pls|plz|just) )*"
_F["YOU"] = r"(?:you|u)"
_F["GAP"] = r"(?:[^.!?;,\n]{0,40}? )?"
# The other members of the group, or anyone at all.
_F["AUD"] = (
    r"(?:the (?:whole |rest of the |other )?group(?: members)?|(?:the )?group members"
    r"|(?:the )?other (?:group )?(?:members|clients|people)|the others|my group"
    r"|(?:any|every|no)(?:one|body)(?: else)?(?: (?:in|from|at) (?:the |my )?group)?"
    r"|people (?:in|from) (?:the |my )?group|group)"
)
_F["AUDT"] = _x(r"(?:{AUD}|them)")
_F["TO"] = r"(?:(?:to|with|in front of|in|at|before|around) )?"
_F["TELL"] = (
    r"(?:tell|mention|share|say|repeat|raise|discuss|talk about|bring|let on|breathe a word"
    r"|pass|disclose)"
)
# Not "don't tell me ...": the member is the one not to be told.
_F["TELL_TO_AUD"] = _x(r"{TELL}\b(?! me\b){GAP}{TO}{AUD}\b")
# What is to be kept: this, it, my diagnosis, what happened at work (one to five words).
_F["KOBJ"] = r"(?:[\w'-]+(?: [\w'-]+){0,4}?)"
_F["KEEP_REQ"] = _x(
    r"(?:(?:can|could|would|will|should) (?:{YOU}|we) (?:please |just )?keep"
    r"|(?:let's|let us|we (?:need|have|ought) to|we should|we must) keep"
    r"|(?:asked|asking|asks|ask|begged|begging|begs|told|urged|wanted|wants|needed|needs"
    r"|pleaded with|made|expects|expected) (?:me |us )?to (?:please )?keep"
    r"|(?:need|want|'d like|would like|'d prefer|would prefer) {YOU} to keep"
    r"|(?:asked|asking|begged|wondered) (?:me )?(?:if|whether) (?:i|you|we)"
    r" (?:could|would|can|will|'d) keep"
    r"|(?:promise|swear|promised|swore) (?:me )?(?:to|that {YOU}'ll|{YOU}'ll|{YOU} will"
    r"|that {YOU} will|(?:that )?i'd|(?:that )?i would) keep"
    r"|{PLEASE}keep)"
)
_F["SUBJ"] = (
    r"(?:this|it|that|what (?:i|she|he) (?:said|told (?:you|me))|our (?:conversation|talk|chat)"
    r"|(?:this|that) (?:conversation|one|part|bit|stuff))"
)
_F["MODAL"] = (
    r"(?:'ll|'d| will| would| has to| have to| needs to| need to| must| should| can| could"
    r"| is going to|'s going to| better| had better)?"
)
_F["BETWEEN"] = r"(?:between (?:us|you and (?:me|i)|me and you|the two of us|ourselves)(?: two)?)"
_F["PERSONAL"] = _x(
    r"(?:{BETWEEN}|to yourself|to ourselves|from {AUDT}|out of (?:the )?group"
    r"|to myself|off the record|under wraps|on the down ?low|hush[- ]hush|quiet|in this room)"
)
_F["POLICY"] = r"(?:a secret|secret|private|confidential)"
# Clause start: the beginning, punctuation, or a joining word just before.
_F["CLAUSE"] = (
    r"""(?:^|(?<=[,.;:!?"'(\-\n])|(?<=[,.;:!?"'(\-]\s)|(?<=but\s)|(?<=and\s)|(?<=so\s))"""
)
_F["NEG"] = (
    r"(?:didn't|did not|doesn't|does not|don't|do not|couldn't|could not|can't|cannot"
    r"|wouldn't|would not|won't|will not|wasn't|was not|isn't|is not|not|never)"
)
_F["COMFORT"] = (
    r"(?:want to|wanna|feel (?:comfortable|safe|ready|able)(?: to)?|(?:be )?(?:comfortable|ready"
    r"|able)(?: to)?|bear to|dare(?: to)?|bring (?:herself|himself|myself|themselves) to)"
)
_F["SAYING"] = (
    r"(?:say(?:ing)?|shar(?:e|ing)|talk(?:ing)?|mention(?:ing)?|bring(?:ing)?|rais(?:e|ing)"
    r"|discuss(?:ing)?|admit(?:ting)?|tell(?:ing)?|open(?:ing)? up|disclos(?:e|ing)|do(?:ing)? it)"
)
_F["GROUPISH"] = (
    r"(?:the (?:whole |rest of the |other )?group(?: members)?|the others"
    r"|the other (?:group )?members"
    r"|(?:any|every|no)(?:one|body)(?: else)? (?:in|from|at) (?:the |my )?group|my group"
    r"|people (?:in|from) (?:the |my )?group)"
)
_F["DAYS"] = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues|thurs)"
_F["KNOW"] = (
    r"(?:knew|know|knows|found out|finds out|find out|heard|hears|hear|learned|learns|learn"
    r"|saw|sees|see|got wind)"
)


def _p(template: str) -> str:
    return _x(template).replace("n't", "n'?t").replace(" ", r"\s+")


def _veto(
    id: str,
    pattern: str,
    explanation: str,
    only_before: str | None = None,
    unless: str | None = None,
) -> Veto:
    return Veto(
        id,
        re.compile(pattern + r"\Z", re.IGNORECASE),
        explanation,
        None if only_before is None else re.compile(only_before, re.IGNORECASE),
        None if unless is None else re.compile(f"(?:{unless})\\Z", re.IGNORECASE),
    )


_WORDS = r"(?:(?!(?:but|and|so|because|then|yet)\b)[\w']+\s+)"
# "whether I could", "if you would just": a question that asks the facilitator to act.
_ASKS_FACILITATOR = (
    r"\b(?:whether|if)\s+(?:i|you|u|we|writer|this writer|the facilitator|facilitator"
    r"|clinician|this clinician|the clinician|counselor|the counselor)\s+(?:could|would|can|will"
    r"|might|'d|please|just)\s+(?:[\w']+\s+){0,2}"
)
NEGATED = _veto(
    "veto.negated",
    r"(?:\b(?:don|doesn|didn|isn|wasn|aren|weren|won|wouldn|couldn|shouldn|can|haven|hasn"
    r"|hadn|mustn|ain)'?t|\bnot|\bcannot|\bnever|\bno\s+longer|\bno\s+need\s+to|\bwithout)\s+"
    + _WORDS
    + "{0,2}",
    'a negation just before: nothing was asked ("she didn\'t ask me to keep it private")',
)
HABIT = _veto(
    "veto.habit",
    r"\b(?:i|we|they|she|he|it|who|which|people|members|group|everyone|everybody|always|usually"
    r"|often|generally|normally|also|still|to|will|would|can|could|should|must|might|may)\s+"
    r"(?:[\w']+ly\s+)?",
    "a subject or helper verb before a bare imperative: a statement of habit, not a request "
    '("I don\'t tell anyone my plans", "we keep notes private")',
    only_before=r"(?:please|pls|plz|just|keep|don'?t|do\s+not|never)\b",
    # "asked writer to keep it from the group", "trusting you to keep quiet": a request.
    unless=r"(?<!n't\s)(?<!\bnt\s)(?<!\bnot\s)(?<!\bnever\s)\b(?:ask(?:s|ed|ing)?|beg(?:s|ged|ging)?|urg(?:es|ed|ing)|want(?:s|ed)?"
    r"|need(?:s|ed)?|told|tells|plead(?:s|ed)? with|implor(?:es|ed)|request(?:s|ed|ing)?"
    r"|trust(?:s|ed|ing)?|count(?:s|ed|ing)? on|rel(?:y|ies|ied|ying) on|expect(?:s|ed)?"
    r"|made|make|get|got|convince[ds]?|persuade[ds]?)\s+(?:[\w']+\s+){0,3}to\s+"
    "|" + _ASKS_FACILITATOR,
)
POLICY_QUESTION = _veto(
    "veto.policy-question",
    r"\b(?:whether|if)\s+(?:[\w']+\s+){0,3}",
    "after whether/if: a question about the group's policy, not a request "
    '("he asked whether the group would keep it confidential")',
    # "She asked whether I could keep it out of group" asks the facilitator to do something.
    unless=_ASKS_FACILITATOR,
)


# Word lists for ``needs``; each is implied by the fragment of the same name.
_NEG_W = ("n't", "nt", "not", "never")
_TELL_W = (
    "tell",
    "mention",
    "share",
    "say",
    "repeat",
    "raise",
    "discuss",
    "talk",
    "bring",
    "let",
    "breathe",
    "pass",
    "disclose",
)
_AUD_W = ("group", "other", "any", "every", "nobody", "noone", "people", "them")
_POLICY_W = ("secret", "private", "confidential")


def _rule(
    id: str,
    level: Level,
    template: str,
    explanation: str,
    examples: tuple[str, ...],
    vetoes: tuple[Veto, ...] = (NEGATED,),
    *,
    needs: tuple[tuple[str, ...], ...],
) -> Rule:
    return Rule(id, level, "en", _p(template), explanation, vetoes, examples, needs)


_EN: tuple[Rule, ...] = (
    _rule(
        "explicit.dont-tell",
        "explicit",
        r"\b(?:{PLEASE}(?:don't|do not|never)|(?:can|could|would|will) {YOU} (?:please )?not"
        r"|{YOU} (?:won't|will not|can't|cannot|mustn't|must not|shouldn't|should not))"
        r" (?:ever )?{TELL_TO_AUD}",
        "asks the facilitator not to tell the group, the others or anyone",
        (
            "please don't tell the group",
            "don't mention it to the others",
            "never tell anyone",
            "can you not tell the group?",
            "you won't tell the others, will you?",
        ),
        (NEGATED, HABIT),
        needs=(_NEG_W, _TELL_W, _AUD_W),
    ),
    _rule(
        "explicit.asked-not-to-tell",
        "explicit",
        r"\b(?:(?:asked|asking|asks|ask|begged|begging|begs|beg|told|tells|urged|pleaded with"
        r"|implored|made) (?:me |us )?(?:to )?(?:please )?not (?:to )?|asked that (?:i|we) not "
        r"|(?:doesn't|didn't|don't|does not|did not|do not) want(?:ed)? (?:me|{YOU}) to "
        r"|(?:'d|would) rather {YOU} (?:didn't|did not|not) |(?:said|says|told me) (?:that )?"
        r"(?:i|{YOU}) (?:shouldn't|should not|mustn't|must not|can't|cannot|couldn't|could not"
        r"|wouldn't|would not) )"
        r"(?:tell(?:{GAP}{TO}{AUDT}\b)?|{TELL_TO_AUD})",
        "the member asked, in the note's words, that it not be told (reported speech counts)",
        (
            "she asked me not to tell the others",
            "he begged me not to mention it in group",
            "she said I shouldn't tell the group",
        ),
        needs=(_NEG_W, _TELL_W),
    ),
    _rule(
        "explicit.promise-not-to-tell",
        "explicit",
        r"\b(?:made (?:me|us) )?(?:promise|swear|promised|swore)(?: to me| me)?(?: that)? "
        r"(?:(?:(?:{YOU}|i|she|he)(?:'ll|'d| will| would)? (?:won't|will not|wouldn't"
        r"|would not|don't|do not|never|not)|not to|never to) (?:tell(?:{GAP}{TO}{AUDT}\b)?"
        r"|{TELL_TO_AUD})|{YOU} won't(?=\s*[?.!,\"]|\s*\Z))"
        r"|\b(?:swore|swear|swearing) (?:me|{YOU}|us) to secrecy|\bsworn to secrecy",
        "a promise not to tell, asked of the facilitator or recorded as given",
        (
            "promise you won't tell the group",
            "made me promise not to tell",
            "promise you won't?",
            "she swore me to secrecy",
        ),
        needs=(("promis", "swear", "swore", "sworn"),),
    ),
    _rule(
        "explicit.keep-between-us",
        "explicit",
        r"\b{KEEP_REQ} (?:{KOBJ} )?(?:just |only |strictly )?{PERSONAL}\b"
        r"|\b{KEEP_REQ} quiet about\b",
        "asks that it be kept between the member and the facilitator, or from the group",
        (
            "keep this between us",
            "she asked me to keep it to myself",
            "can we keep this just between you and me",
            "keep my relapse from the group",
        ),
        (NEGATED, HABIT, POLICY_QUESTION),
        needs=(("keep",),),
    ),
    _rule(
        "explicit.keep-secret",
        "explicit",
        r"\b{KEEP_REQ} {KOBJ} (?:completely |totally |strictly )?{POLICY}\b",
        "asks that it be kept secret, private or confidential",
        ("please keep this private", "she asked if I could keep it confidential"),
        (NEGATED, HABIT, POLICY_QUESTION),
        needs=(("keep",), _POLICY_W),
    ),
    _rule(
        "explicit.stays-between-us",
        "explicit",
        r"\b{SUBJ}{MODAL} (?:only |just |strictly )?(?:stays?|remains?|be kept|is kept|stayed)"
        r" (?:just |only |strictly )?(?:{BETWEEN}|here|in this room|with you|off the record)\b"
        r"|\b{SUBJ}(?:'s| is) (?:just |only |strictly )?{BETWEEN}"
        r"|\b(?:can|could|will|would) {SUBJ} (?:please )?(?:stay|remain|be kept) (?:just |only )?"
        r"(?:{BETWEEN}|here|in this room|with you|off the record|{POLICY})\b"
        r"|\b{SUBJ} (?:doesn't|does not|can't|cannot|mustn't|must not|won't|will not|shouldn't"
        r"|should not|never) (?:leave|go beyond|get out of|go outside)"
        r" (?:this room|here|this office"
        r"|these walls|the room)|\b{SUBJ} goes no further",
        "says or asks that the conversation stays here, between the two of them",
        ("this stays between us", "can this stay here?", "this doesn't leave this room"),
        needs=(("stay", "remain", "kept", "between", "leave", "beyond", "out", "further"),),
    ),
    _rule(
        "explicit.stays-confidential",
        "explicit",
        r"\b{SUBJ}{MODAL} (?:only |just |strictly )?(?:stays?|remains?|be kept|is kept) "
        r"(?:strictly |completely |totally )?{POLICY}\b",
        "says that it has to stay secret, private or confidential",
        ("this has to stay confidential", "what I told you stays private, okay?"),
        (NEGATED, POLICY_QUESTION),
        needs=(("stay", "remain", "kept"), _POLICY_W),
    ),
    _rule(
        "explicit.between-you-and-me",
        "explicit",
        r"\b(?:just|strictly|only) {BETWEEN}|{CLAUSE}{BETWEEN}(?=\s*[,.;:!?\"'-])",
        '"just between you and me": marks what follows or precedes as private',
        ("just between you and me", "between us, I relapsed"),
        needs=(("between",),),
    ),
    _rule(
        "explicit.off-the-record",
        "explicit",
        r"\b(?:(?:this|it|that)(?:'s| is| was)|talk|speak|say something|tell {YOU} something"
        r"|told me(?: something)?) (?:totally |completely |strictly |just )?off the record\b"
        r"|{CLAUSE}(?:totally |completely |strictly |just )?off the record(?=\s*[,.;:!?\"'-])",
        "asks to speak off the record",
        ("this is off the record", "off the record, I used again"),
        needs=(("record",),),
    ),
    _rule(
        "explicit.charted-request",
        "explicit",
        r"\b(?:requested|requests|requesting|asked|asks|asking|wants|wanted|would like|'d like"
        r"|prefers|preferred|expressed (?:a |her |his |their |the )?(?:wish|desire|preference)"
        r"|was adamant|insisted|insists|stipulated|made (?:it )?clear)"
        r"(?: (?:that|for))?"
        r"(?:(?!\b(?:whether|if|what|how|who|which|when|why|not|never|denied|denies|no)\b)"
        r"[^.!?;\n]){0,60}?"
        r" (?:(?:remain|remains|stay|stays|be kept|kept|be held|held|be treated as|treated as)"
        r"(?: strictly| completely| totally| entirely)? (?:confidential|private|secret"
        r"|between (?:us|writer|the two|client|pt|them|her|him|me)|out of (?:the )?group"
        r"|from (?:the )?group|away from (?:the )?group)"
        r"|not (?:to )?be (?:shared|discussed|raised|processed|brought up|mentioned|disclosed"
        r"|addressed|revealed|talked about|repeated|named)\b)"
        r"|\b(?:request(?:ed|s|ing)?|asked for|wants|wanted|would like) (?:complete |strict "
        r"|total |full )?(?:confidentiality|privacy|discretion)\b",
        "the note records, in charting words, that the member asked for it to stay private or "
        "not be raised",
        (
            "client requested that the matter remain confidential",
            "pt asked that her relapse not be processed in group",
            "mbr wants the custody issue kept out of group",
            "requested confidentiality about the arrest",
        ),
        (NEGATED, POLICY_QUESTION),
        needs=(
            (
                "request",
                "ask",
                "want",
                "like",
                "prefer",
                "wish",
                "desire",
                "adamant",
                "insist",
                "stipulat",
                "clear",
            ),
            (
                "confidential",
                "private",
                "secret",
                "between",
                "group",
                "shared",
                "discuss",
                "raised",
                "processed",
                "brought",
                "mention",
                "disclos",
                "address",
                "reveal",
                "talked",
                "repeat",
                "named",
                "privacy",
                "discretion",
            ),
        ),
    ),
    _rule(
        "explicit.secrecy-idiom",
        "explicit",
        r"\b(?:(?:lips|lip) (?:are |is |be |stay |stays )?sealed|mum'?s the word"
        r"|(?:on|keep (?:it|this|that)(?: on)?) the (?:down ?low|dl)\b|\bstrictly dl\b"
        r"|under (?:your|ur) hat|(?:your|ur) (?:complete |utmost |total )?discretion"
        r"|(?:be|being|stay|remain) (?:very |really |totally )?discreet"
        r"|(?:this|that|the|our) (?:conversation|talk|call|chat) (?:never happened|didn't happen"
        r"|did not happen)|for (?:your|ur) ears only|for you and you (?:alone|only)"
        r"|(?:i'm|i am|im) (?:only|just) telling (?:you|u)\b"
        r"|(?:this|that|it)(?:'s| is) (?:just|only) for (?:you|u)\b|strictly confidential"
        r"|(?:won't|will not|can't|cannot|better not|shouldn't|should not|doesn't|does not"
        r"|mustn't) (?:ever )?(?:get|go|make it|find its way)"
        r" back to (?:the )?(?:group|others|rest|anyone|them)"
        r"|(?:this|it|that) goes no further)\b",
        "an everyday phrase for keeping it secret: lips sealed, your discretion, for your ears "
        "only, this conversation never happened",
        (
            "my lips are sealed, right?",
            "i'd appreciate your discretion",
            "this conversation never happened",
            "i'm only telling you",
            "it can't get back to the group",
        ),
        (NEGATED, POLICY_QUESTION),
        needs=(
            (
                "seal",
                "mum",
                "down",
                "dl",
                "hat",
                "discre",
                "happen",
                "ears",
                "alone",
                "telling",
                "for you",
                "for u",
                "strictly",
                "back to",
                "further",
            ),
        ),
    ),
    _rule(
        "explicit.wont-you-tag",
        "explicit",
        r"\b(?:{YOU} (?:won't|will not|wouldn't|would not|aren't going to|are not going to"
        r"|not gonna|won't ever) (?:tell|say|share|mention|bring up|raise|repeat)"
        r" (?:them|anyone|anybody|a soul|a word|it|this|that)\b|they (?:won't|will not|wouldn't"
        r"|would not|aren't going to|are not going to) hear (?:about )?(?:it|this|that))"
        r"[^.?!\n]{0,50}?"
        r"(?:,|\s)\s*(?:will|would|are|right|ok|okay)(?: (?:you|u|they))?\s*\?"
        r"|\b(?:this|that|it) (?:won't|will not|isn't going to|is not going to|doesn't|does not)"
        r" (?:come up|get raised|be raised|be brought up|be mentioned|get mentioned)"
        r" (?:in|at|on|during) (?:group|session|the group|there|{DAYS})\b[^.?!\n]{0,20}?"
        r"(?:,\s*)?(?:right|ok|okay|yes|yeah)?\s*\?",
        "a question that asks for reassurance it will not be told: \"you won't tell them, will "
        'you?", "this won\'t come up in group, right?"',
        ("you won't tell them, will you?", "this won't come up in group, right?"),
        (NEGATED,),
        needs=(
            (
                "won",
                "will not",
                "wouldn",
                "would not",
                "going to",
                "gonna",
                "isn",
                "doesn",
                "does not",
            ),
            ("?",),
        ),
    ),
    _rule(
        "explicit.spanish-no-digas",
        "explicit",
        r"\bno (?:le |les )?(?:digas|diga|cuentes|cuente|comentes|menciones) (?:nada |esto |eso )?"
        r"(?:a |al |en el |con el |con los |a los )?(?:grupo|demás|otros|nadie)\b"
        r"|\bno quiero que (?:el grupo|nadie|los demás|los otros) (?:sepa|sepan|se entere"
        r"|se enteren)\b",
        'Spanish: asks not to tell the group ("no le digas al grupo")',
        ("no le digas nada al grupo", "no quiero que el grupo sepa"),
        (),
        needs=(("no ",), ("grupo", "demás", "otros", "nadie")),
    ),
    _rule(
        "explicit.in-confidence",
        "explicit",
        r"\bin (?:strict |complete |total |the strictest )?confidence\b",
        "told, or asked to tell, in confidence",
        ("she told me in confidence", "can I tell you something in confidence?"),
        needs=(("confidence",),),
    ),
    _rule(
        "explicit.dont-let-them-know",
        "explicit",
        r"\b{PLEASE}(?:don't|do not|never) let {AUDT} (?:ever )?(?:know|find out|hear|see|learn)\b"
        r"|\bmake sure (?:that )?(?:{AUDT} (?:doesn't|don't|does not|do not|never|won't) "
        r"(?:ever )?(?:know|find out|hear|learn)|(?:no one|nobody|no-one)(?: else)?"
        r"(?: (?:in|from) (?:the |my )?group)? (?:knows|finds out|hears|learns))\b",
        "asks the facilitator to make sure the group does not find out",
        ("don't let the group know", "make sure nobody in group finds out"),
        (NEGATED, HABIT),
        needs=(("let", "sure"),),
    ),
    _rule(
        "implied.nobody-knows",
        "implied",
        r"\b(?:(?:nobody|no one|no-one)(?: else(?: (?:in|from|at) (?:the |my |our |this )?group)?"
        r"| (?:in|from|at) (?:the |my |our |this )?group)"
        r"|none of {GROUPISH}) (?:knows|know|has (?:any )?idea|have (?:any )?idea|is aware"
        r"|are aware|has heard|have heard)\b"
        r"|\b{GROUPISH} (?:still )?(?:doesn't|don't|does not|do not) (?:yet )?know"
        r"(?: about\b| yet\b|(?=\s*[,.;!?]|\s*\Z))",
        "the member says the group does not know: the contact carries something kept from it",
        ("nobody in the group knows", "no one else knows", "the others don't know about it"),
        needs=(("know", "idea", "aware", "heard"),),
    ),
    _rule(
        "implied.not-told-group",
        "implied",
        r"\b(?:i|i've|i'd|she|she's|she'd|he|he's|he'd|they|they've|we|we've) (?:still )?"
        r"(?:haven't|have not|hasn't|has not|hadn't|had not|(?:has |have |had )?never"
        r"|didn't|did not"
        r"|not yet)"
        r" (?:yet |ever |really )?(?:told|mentioned|shared|said (?:anything|a word)"
        r"|brought (?:it |this |that )?up|raised|disclosed|talked about|admitted|opened up)"
        r"\b{GAP}{TO}{AUD}\b",
        "the member has not told the group: what was shared is not yet known there",
        ("I haven't told the group", "she has never told anyone in group about the affair"),
        needs=(
            (
                "told",
                "mention",
                "shared",
                "said",
                "brought",
                "raised",
                "disclosed",
                "talked",
                "admitted",
                "opened",
            ),
            _AUD_W,
        ),
    ),
    _rule(
        "implied.waited-until-alone",
        "implied",
        r"\b(?:waited|waiting|wait|waits|hung back|hanging back|stayed behind|stayed back|lingered"
        r"|hung around)\b[^.!?;\n]{0,30}?\b(?:until|till|til|for) (?:everyone|everybody|the others"
        r"|the other members|the rest(?: of the group)?|the group|all the others|people)"
        r" (?:else )?(?:had )?(?:left|gone|was gone|were gone|went|to leave|to go|cleared out)\b"
        r"|\b(?:waited|wait|waiting) (?:until|till|for) (?:we|she and i|he and i|i)"
        r" (?:were|was) alone"
        r"|\b(?:when|once|while|until) (?:no one|nobody|no-one)(?: else)? (?:was|were) "
        r"(?:around|there|listening|looking|left|in the room)",
        "chose a moment when the others were gone: an expectation of privacy",
        ("I waited until everyone left", "she hung back until the others had gone"),
        needs=(("wait", "hung", "hanging", "stayed", "linger", "nobody", "one"),),
    ),
    _rule(
        "implied.not-in-front-of-group",
        "implied",
        r"\b{NEG} (?:{COMFORT} )?{SAYING}\b{GAP}(?:in front of|around) (?:{GROUPISH}"
        r"|everyone|everybody|them|group)\b"
        r"|\b{NEG} {COMFORT} {SAYING}\b{GAP}(?:in|with|to|before) (?:{GROUPISH}"
        r"|everyone|everybody|group)\b",
        "did not want to say it in front of the group: the group is who it is kept from",
        ("didn't want to say it in front of the group", "wasn't ready to share it with the group"),
        needs=(
            _NEG_W,
            (
                "front",
                "around",
                "want",
                "wanna",
                "feel",
                "comfortable",
                "ready",
                "able",
                "bear",
                "dare",
                "bring",
            ),
        ),
    ),
    _rule(
        "implied.others-cant-find-out",
        "implied",
        r"\b(?:{GROUPISH}|they) (?:can't|cannot|can not|mustn't|must not|shouldn't"
        r"|should not|can never|must never|can't ever)"
        r" (?:ever )?(?:find out|know|hear about|learn)\b"
        r"|\bif (?:{GROUPISH}|they|anyone) (?:ever )?(?:found|finds|find) out\b",
        "the group must not find out",
        ("the others can't find out", "if the group ever found out"),
        needs=(("find", "found", "know", "hear", "learn"),),
    ),
    _rule(
        "implied.dont-want-them-to-know",
        "implied",
        r"\b(?:don't|do not|doesn't|does not|didn't|did not|wouldn't|would not|never) "
        r"want(?:ed|s)? (?:{GROUPISH}|them|anyone|anybody|the group) (?:to )?(?:ever )?"
        r"(?:know|find out|hear|learn|see)\b",
        "a wish that the group not know, without asking the facilitator for anything",
        ("I don't want the group to know", "she didn't want the others to find out"),
        needs=(_NEG_W, ("want",)),
    ),
    _rule(
        "implied.fear-of-them-knowing",
        "implied",
        r"\b(?:mortified|humiliated|ashamed|embarrassed|devastated|die|dead|horrified|crushed"
        r"|destroyed|hate it|hate)\b(?: [\w']+){0,3}? (?:if|when) (?:{GROUPISH}|they|anyone"
        r"|people|everyone|the group) (?:ever )?{KNOW}\b"
        r"|\b(?:hate|'d hate) for (?:{GROUPISH}|them|anyone|the group) to {KNOW}\b"
        r"|\b(?:afraid|scared|terrified|worried|petrified) (?:that )?(?:{GROUPISH}|the group)"
        r" (?:will|would|might|could) (?:find out|know|hear|learn)\b",
        "shame or fear at the group knowing",
        ("I'd be mortified if they knew", "she's afraid the group will find out"),
        needs=(
            (
                "mortif",
                "humiliat",
                "ashamed",
                "embarrass",
                "devastat",
                "die",
                "dead",
                "horrif",
                "crushed",
                "destroyed",
                "hate",
                "afraid",
                "scared",
                "terrified",
                "worried",
                "petrified",
            ),
        ),
    ),
    _rule(
        "implied.private-channel",
        "implied",
        r"\b(?:texted|messaged|emailed|called|phoned|rang|wrote|dm'?d|dmed|reached out to"
        r"|contacted|came to|approached|pulled|took) (?:me )?(?:(?:aside|privately|in private"
        r"|alone|separately|directly|one[- ]on[- ]one|outside (?:of )?(?:the )?group) )+"
        r"[^.!?;\n]{0,40}?\b(?:because|since|as|so|rather than|instead of)\b[^.!?;\n]{0,60}?"
        r"\b(?:group|others|everyone|anyone|them|they)\b"
        r"|\b(?:asked|wanted|needed|requested|asking) (?:if (?:she|he|they|we) could |to |for )?"
        r"(?:speak|talk|a word|a minute|a moment|time|see me|meet)(?: (?:to|with))?(?: me)? "
        r"(?:privately|in private|alone|one[- ]on[- ]one|away from (?:{GROUPISH}|the group))\b",
        "chose a private channel, away from the group, for this",
        (
            "texted me privately because she didn't want the group to see",
            "asked to speak to me alone",
        ),
        needs=(("aside", "private", "alone", "separate", "direct", "one", "outside", "away"),),
    ),
)

RULES: dict[str, tuple[Rule, ...]] = {"en": _EN}
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(RULES)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rules in RULES.values() for rule in rules}
_NEEDS_SETS = {rule.id: [frozenset(words) for words in rule.needs] for rule in RULES_BY_ID.values()}
_NEEDED = {
    language: frozenset(w for rule in rules for words in rule.needs for w in words)
    for language, rules in RULES.items()
}


_NEEDLES = {language: Needles(words) for language, words in _NEEDED.items()}


def _holds(words: set[str], needs: list[frozenset[str]]) -> bool:
    """Whether ``words`` hold one word of each group of ``needs``."""
    for group in needs:
        if words.isdisjoint(group):
            return False
    return True


def rule_matches(
    lowered: str,
    language: str,
    vetoed: list[tuple[int, int]] | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> list[tuple[int, int, Rule]]:
    """Every unvetoed match of the language's rules in ``lowered`` (the normalised note,
    lower-cased letter by letter so offsets stay the note's). Matches may overlap. The spans
    of vetoed candidates ("she didn't ask me to keep it private") are appended to ``vetoed``
    when it is given.

    With ``spans`` (the note's sentences), a rule runs only on the sentences that hold its
    ``needs``: no rule matches across a sentence end, and scanning a third of the note is a
    third of the work. Look-behinds and vetoes still see the text before the sentence."""
    needles = _NEEDLES[language]
    # Which of the rules' needed words each sentence holds; the note's are their union (a
    # needed word never spans a sentence end): most rules are ruled out by the note.
    if spans:
        present = [(s, e, needles.present(lowered[s:e])) for s, e in spans]
    else:
        present = [(0, len(lowered), needles.present(lowered))]
    note_words: set[str] = set().union(*(words for _, _, words in present))
    out: list[tuple[int, int, Rule]] = []
    for rule in RULES[language]:
        needs = _NEEDS_SETS[rule.id]
        if not _holds(note_words, needs):
            continue
        for begin, stop, words in present:
            if not _holds(words, needs):
                continue
            for found in rule.pattern.finditer(lowered, begin, stop):
                start, end = found.span()
                if start == end:
                    continue
                if _vetoed(rule, lowered, start):
                    if vetoed is not None:
                        vetoed.append((start, end))
                    continue
                out.append((start, end, rule))
    return out


def _vetoed(rule: Rule, scan: str, start: int) -> bool:
    if not rule.vetoes:
        return False
    prefix = scan[max(0, start - _PREFIX_WINDOW) : start]
    return any(
        veto.pattern.search(prefix)
        and (veto.only_before is None or veto.only_before.match(scan, start))
        and (veto.unless is None or not veto.unless.search(prefix))
        for veto in rule.vetoes
    )
