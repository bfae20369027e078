"""Word classes: the model's way to hear a request in words it was never trained on.

A note writer has many words for one move: asked, begged, pleaded, insisted; tell, mention,
raise, bring up, repeat; private, confidential, between us, off the record. The corpus cannot
hold every pairing, so each word is also read as its class (``ASK``, ``REVEAL``, ``SECRET``...),
and the model learns from the order of the classes in a sentence: "ASK NEG REVEAL GROUP" is a
request whichever of the words fill it. The lists are written from ordinary English usage, not
from the corpus, and a word has one class at most (the one it most often carries in a contact
note). Words arrive as ``features.tokens`` gives them: lower case, "she"/"he" as "they",
"writer" as "i", "pt"/"member" as "client".

Only the classed words of a unit count for the sequence: "she asked me, twice, not to bring
it up in group" reads ``THEY ASK I NEG REVEAL UP GROUP``.
"""

from __future__ import annotations


def _classes(**lists: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, words in lists.items():
        for word in words.split():
            if word in out:
                raise ValueError(f"{word!r} is in two classes: {out[word]} and {name}")
            out[word] = name
    return out


WORD_CLASS: dict[str, str] = _classes(
    # Asking, wanting, pleading: what carries a request.
    ASK=(
        "ask asks asked asking request requests requested requesting beg begs begged begging"
        " plead pleads pleaded pleading pled implore implored imploring urge urged urging"
        " insist insists insisted insisting want wants wanted wanting wish wishes wished hope"
        " hopes hoped prefer prefers preferred rather please need needs needed expect expects"
        " expected expecting counting relying rely relies trusting demand demanded demanding"
    ),
    # Giving one's word.
    PROMISE=(
        "promise promises promised promising swear swears swore sworn vow vowed word assurance"
        " assurances assure assured assuring reassure reassured reassurance guarantee"
        " guaranteed guarantees commit committed commitment agree agrees agreed agreeing pinky"
    ),
    # Letting something out.
    REVEAL=(
        "tell tells told telling mention mentions mentioned mentioning share shares shared"
        " sharing say says saying repeat repeats repeated repeating raise raises raised raising"
        " discuss discusses discussed discussing bring brings brought bringing disclose"
        " discloses disclosed disclosing reveal reveals revealed revealing divulge divulged"
        " spill spilled leak leaked leaking relay relayed pass passed passing breathe"
        " broach broached announce announced report reported expose out outed talk"
        " talks talked talking speak spoke speaking address addressed attribute attributed"
        " identify identified spread spreading"
    ),
    # Others coming to know.
    LEARN=(
        "know knows knew known knowing find finds found finding learn learns learned learnt"
        " hear hears heard hearing notice noticed realize realise realized realised suspect"
        " suspects suspected figure figured see seeing saw seen"
    ),
    # Keeping, holding back.
    KEEP=(
        "keep keeps kept keeping hold holds held holding stay stays stayed staying remain"
        " remains remained sit sitting leave leaves leaving withhold withheld spare exclude"
        " excluded excluding omit omitted"
    ),
    # Secrecy words.
    SECRET=(  # noqa: S106 (a word class, not a password)
        "private privately privacy confidential confidentially confidence confidences secret"
        " secrets secretly quiet quietly hush hushed mum discreet discretion discreetly"
        " ourselves record wraps lips sealed vault grave undisclosed unspoken secrecy anonymous"
        " anonymously"
    ),
    # The policy, the agreement, the limits.
    POLICY=(
        "confidentiality policy rule rules agreement agreements limits limit guidelines"
        " consent contract norms norm expectations"
    ),
    # The group and its members.
    GROUP=(
        "group groups others everyone everybody anyone anybody someone session sessions room"
        " circle peers people folks clients members guys ladies gang crew"
    ),
    OTHER="other else rest whole",
    NOBODY="nobody noone",
    ONLY="only just solely between",
    NEG=(
        "not never no don't didn't doesn't won't wouldn't can't couldn't isn't wasn't"
        " aren't weren't haven't hasn't hadn't shouldn't mustn't without nor neither nothing"
    ),
    DENY="denied denies denying deny",
    # Feeling exposed: what implies a wish to hide.
    SHAME=(
        "ashamed shame shameful embarrassed embarrassing embarrassment humiliated humiliating"
        " humiliation mortified mortifying guilty judged judge judging judgment judgement"
        " exposed stigma awkward"
    ),
    FEAR=(
        "afraid scared terrified worried worry worries worrying fear fears feared fearful"
        " anxious nervous dread dreads dreading panic panicked frightened"
    ),
    # Conduct that seeks privacy.
    APART=(
        "waited wait waiting lingered linger lingering aside alone hung hanging approached"
        " cornered pulled caught stopped"
    ),
    HIDE=(
        "hide hides hid hidden hiding conceal concealed concealing cover covered covering"
        " covers unaware dark avoid avoids avoided avoiding"
    ),
    # Said openly already: the group knows.
    OPEN="already openly publicly everyone's",
    # The facilitator's own actions about the policy.
    REMIND=(
        "reminded remind reminding reviewed review reviewing explained explain explaining"
        " clarified clarify reiterated restated oriented educated informed redirected"
    ),
    # A question about how things work.
    WHETHER="whether if how what does do",
    # Not yet: a request bounded in time.
    UNTIL="until till yet ready first",
    # People outside the group whose words a member may quote.
    THIRD=(
        "husband wife partner boyfriend girlfriend mother mom mum's father dad sister brother"
        " boss friend sponsor son daughter coworker cousin aunt uncle grandmother neighbor"
        " neighbour roommate ex fiance fiancee spouse parents"
    ),
    I="i me my myself mine i'm i'll i'd i've",
    THEY="they them their themself they're they'd they'll",
    YOU="you your yourself you're you'll you'd",
    UP="up on about",
    STOP="but though although because since",
)


def class_sequence(words: list[str]) -> list[str]:
    """The classes of ``words`` in order, unclassed words left out."""
    get = WORD_CLASS.get
    return [c for w in words if (c := get(w)) is not None]
