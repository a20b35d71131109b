"""Crisis language in what a client writes: a safety net, not a diagnosis.

``crisis_scan(text)`` looks for phrases that often mean a person may be thinking of
ending their life or hurting themselves, in English and Hebrew, and says how urgent
they sound. It is deliberately simple and transparent (a list of reviewed phrase
groups, no model): a miss is possible and so is a false alarm, and what happens on a
match is gentle — the writer is shown where to get help, and (only with their
consent) their coach is told to reach out. See ``loom.accounts.safety``.

What the scan does, in order:

1. Normalises: Unicode NFKC, casefold, Hebrew points and cantillation removed, the
   Hebrew geresh/gershayim and curly apostrophes unified with ``'`` and ``"``,
   invisible direction and zero-width marks removed, Hebrew final letters folded to
   their ordinary forms (patterns are folded the same way, so they are written in
   ordinary spelling). Runs of spaces and tabs become one space, and a space in a
   pattern matches any white space, so "kill  myself" or a phrase wrapped onto the
   next line still matches (a line break still ends a clause for step 4).
2. Drops quoted text: “…”, „…“, «…», "…" (a straight quote only opens a quote when
   it does not follow a letter, so the Hebrew abbreviation mark in ער"ן is left
   alone) and markdown blockquote lines ("> …"). Quoted song lyrics, book passages
   and things other people said are the most common false alarm; the choice is that
   the writer's own unquoted words count. Single quotes are not treated as quotes
   (they are apostrophes too often).
3. Blanks idioms that borrow the words: "die of embarrassment", "dying laughing",
   "to die for", "killing myself at the gym", "rather die than go to …",
   "suicide squad/mission/prevention", "למות מבושה/מצחוק", "מת/ה על …".
   Idioms that never contain a phrase ("killing it", "dying to see", "I could kill
   for a coffee", "מתתי מצחוק") simply do not match.
4. Matches each phrase group's patterns. A match is dropped when, in the same
   clause (clauses end at . ! ? ; : , a line break, "but" / "אבל"), one of the four
   words before it is a negation ("I would never kill myself", "I'm not suicidal",
   "לא רוצה למות") — unless a word such as "know", "why", "stop", "if" / "יודעת",
   "למה", "להפסיק", "אם" — or a conjunction "and", "so", "because" — comes between
   ("I can't stop thinking about killing myself", "I don't know why I want to die",
   "I can't sleep and I want to die" still count). Phrases whose meaning *is* a
   negation are patterns of their own: "I don't want to live", "לא רוצה לחיות".
5. Reported speech about someone else is not the writer's crisis: a match whose
   clause has a third-person subject in the three words before it ("she wants to
   die", "היא רוצה למות") is dropped, unless "I" / "אני" follows that subject.
   Patterns are first person ("kill myself", "להרוג את עצמי"), so "my friend said
   she wanted to kill herself" never matches. The crisis lines page helps people
   worried about someone else; it is linked from the crisis panel and the help pages.

Severity: "imminent" (a plan, a means, a time) > "high" (intent to die by suicide,
self-harm) > "concern" (wishing to be dead, hopelessness, feeling a burden).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

IMMINENT = "imminent"
HIGH = "high"
CONCERN = "concern"
# Higher is more urgent.
SEVERITY_RANK = {CONCERN: 1, HIGH: 2, IMMINENT: 3}


def severity_rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


@dataclass(frozen=True)
class CrisisMatch:
    """What a scan found: the most urgent severity, every group that matched, the language."""

    severity: str
    groups: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class PhraseGroup:
    id: str
    severity: str
    patterns: tuple[str, ...]

    @property
    def language(self) -> str:
        return self.id.split(".", 1)[0]


# ---------------------------------------------------------------------------
# Pattern helpers. English: word-bounded. Hebrew: a word may carry up to two of the
# one-letter prefixes ו ש ה ל ב כ מ ("ושרוצה", "שלהתאבד"), and is bounded by
# anything that is not a letter.

_W = r"[^\W\d_]"  # a letter, in any script


def _en(body: str) -> str:
    return rf"(?<![\w'])(?:{body})(?![\w'])"


def _he(body: str) -> str:
    return rf"(?<!\w)(?:[ושהלבכמ]{{0,2}})(?:{body})(?!\w)"


PHRASES: tuple[PhraseGroup, ...] = (
    # ----------------------------------------------------------------- English
    PhraseGroup(
        "en.plan",
        IMMINENT,
        (
            _en(
                r"(?:kill(?:ing)? myself|end(?:ing)? (?:my life|it all|it)|take my (?:own )?life)"
                r"\s+(?:tonight|today|right now|now|this (?:weekend|week|evening|morning)|tomorrow)"
            ),
            _en(
                r"(?:tonight|today|tomorrow)\s+(?:is|will be)\s+(?:the night|the day|my last)"
                r"(?:\s+i\s+(?:die|end it|kill myself))?"
            ),
            _en(
                r"(?:have|got|made)\s+a\s+plan\s+(?:to|for how to)\s+(?:kill myself|end my life|die|end it)"
            ),
            _en(
                r"(?:bought|got|saved|stockpiled|collected|hoarded)\s+(?:a\s+)?(?:pills|a rope|rope|a gun|the pills)\s+(?:to|so i can)\s+(?:kill myself|end it|die|end my life|overdose)"
            ),
            _en(
                r"(?:stockpiling|stockpiled|saving up|hoarding)\s+(?:my\s+)?(?:pills|meds|medication)"
            ),
            _en(
                r"(?:wrote|written|writing|left)\s+(?:a|my)\s+(?:suicide|goodbye)\s+(?:note|letter)"
            ),
            _en(r"this\s+is\s+my\s+(?:last|final)\s+(?:entry|message|goodbye|post)"),
            _en(r"(?:going|gonna)\s+to\s+(?:jump|throw myself)\s+(?:off|from|in front of)"),
            _en(r"(?:overdose|od)\s+(?:tonight|today|now)"),
        ),
    ),
    PhraseGroup(
        "en.intent",
        HIGH,
        (
            _en(r"kill(?:ing|ed)? myself"),
            _en(r"end(?:ing)? my (?:own )?life"),
            _en(r"take (?:my own|my) life|taking my (?:own )?life"),
            _en(r"end it all"),
            _en(r"commit(?:ting)? suicide"),
            _en(
                r"(?:want|wanna|going|gonna|plan|planning|thinking of|thinking about)\s+(?:to\s+)?overdos(?:e|ing)"
            ),
            _en(
                r"(?:i'm|im|am|feel|feeling|felt|was|been|getting)\s+(?:so\s+|really\s+|very\s+|kind of\s+|quite\s+)?suicidal"
            ),
            _en(r"suicidal (?:thoughts|feelings|ideation|urges)"),
            _en(
                r"(?:think|thinking|thought|thoughts)\s+(?:about|of)\s+(?:suicide|killing myself|ending my life|ending it all|ending it)"
            ),
            _en(
                r"(?:considering|contemplating|planning)\s+(?:suicide|killing myself|ending my life|ending it)"
            ),
            _en(
                r"(?:want|wanna|going|gonna|plan|planning)\s+(?:to\s+)?end it(?:\s+all)?(?!\s+(?:with|between|for)\b)"
            ),
        ),
    ),
    PhraseGroup(
        "en.self_harm",
        HIGH,
        (
            _en(
                r"(?:cut|cutting|burn|burning|burned|burnt|hurt|hurting|harm|harming|harmed|punish|punishing)\s+myself"
            ),
            _en(r"self[- ]?harm(?:ing|ed)?"),
            _en(
                r"(?:hit|hitting|starve|starving|scratch|scratching)\s+myself\s+(?:again|until|till|on purpose)"
            ),
            _en(r"relapsed? (?:on|into) (?:cutting|self[- ]?harm)"),
        ),
    ),
    PhraseGroup(
        "en.wish_dead",
        CONCERN,
        (
            _en(
                r"(?:just\s+|really\s+|honestly\s+|sometimes\s+|kind of\s+)?(?:want|wanna)\s+(?:to\s+)?(?:die|be dead|disappear forever|not exist|stop existing)"
            ),
            _en(
                r"wish\s+(?:i\s+)?(?:was|were|could be)\s+dead|wish\s+i\s+(?:had\s+)?(?:never been born|could die|would die|could disappear forever|wasn't alive|was not alive)"
            ),
            _en(
                r"(?:don't|do not|dont|never)\s+want\s+to\s+(?:live(?!\s+(?:in|at|with|there|near|on|by|alone|together|abroad|here)\b)|be alive|exist|wake up|be here anymore|be here any more|go on living)"
            ),
            _en(r"(?:hope|hoping)\s+i\s+(?:don't|do not|dont|never)\s+wake up"),
            _en(r"better off dead"),
            # "...and not wake up until noon" is a lie-in, not a wish.
            _en(
                r"(?:want|wanna|wish i could|hope to)\s+(?:to\s+)?(?:just\s+)?(?:go to sleep|fall asleep|sleep)"
                r"\s+and\s+(?:never|not)\s+wake\s+up(?!\s+(?:until|till|before|early)\b)"
            ),
            # "than" / "tired" / "serious": "I'd rather be dead than wear that".
            _en(
                r"(?:i'd|i would)\s+(?:much\s+|honestly\s+|just\s+)?rather\s+be\s+dead"
                r"(?!\s+(?:than|tired|serious|wrong)\b)"
            ),
            _en(r"(?:tired|sick)\s+of\s+(?:living|being alive|life itself)"),
            _en(r"(?:can't|cannot|cant|don't want to|do not want to)\s+(?:go on|keep) living"),
        ),
    ),
    PhraseGroup(
        "en.hopeless_burden",
        CONCERN,
        (
            _en(
                r"(?:no|nothing(?: left)?)\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|go on|going on|being alive)"
            ),
            _en(r"nothing (?:left )?to live for"),
            _en(
                r"(?:everyone|everybody|they|my family|the world|people)\s+(?:would|will)\s+be\s+better\s+off\s+without\s+me"
            ),
            _en(
                r"(?:i'm|i am|i've become|i feel like)\s+(?:just\s+|such\s+)?a\s+burden(?:\s+to\s+(?:everyone|everybody|my family|them))?"
            ),
            _en(
                r"(?:no one|nobody)\s+would\s+(?:care|notice|miss me)\s+if\s+i\s+(?:died|was gone|were gone|disappeared|killed myself)"
            ),
            _en(
                r"(?:can't|cannot|cant)\s+(?:go on|do this)\s+(?:like this\s+)?any\s?more\s+i\s+(?:want|wanna)\s+out"
            ),
            _en(r"there(?:'s| is)\s+no\s+way\s+out"),
            _en(
                r"(?:my\s+)?life\s+(?:is\s+not|isn't|isnt|ain't|is\s+no\s+longer)\s+worth\s+living"
            ),
        ),
    ),
    # ------------------------------------------------------------------ Hebrew
    PhraseGroup(
        "he.plan",
        IMMINENT,
        (
            _he(
                r"(?:להתאבד|לשים קץ לחיי(?:ם|)|לגמור עם (?:הכל|הכול|החיים)|לסיים עם (?:הכל|הכול|החיים)|להרוג את עצמי)"
                r"\s+(?:הלילה|היום|עכשיו|מחר|בסופ\"ש|בסוף השבוע)"
            ),
            _he(
                r"(?:הלילה|היום|עכשיו|מחר)\s+(?:אני\s+)?(?:הולכ(?:ת|)\s+|הולך\s+)?"
                r"(?:להתאבד|לשים קץ|לגמור עם (?:הכל|הכול)|לסיים עם (?:הכל|הכול)|להרוג את עצמי)"
            ),
            _he(
                r"(?:קניתי|אספתי|הכנתי|שמרתי|אגרתי|השגתי)\s+(?:\w+\s+)?(?:כדורים|חבל|אקדח)\s+(?:כדי\s+)?(?:להתאבד|למות|לשים קץ)"
            ),
            _he(r"(?:אוגר(?:ת|)|אגרתי|אוספ(?:ת|)|אספתי)\s+(?:\w+\s+)?(?:כדורים|תרופות)"),
            _he(r"(?:כתבתי|כותב(?:ת|)|השארתי)\s+מכתב\s+(?:פרידה|התאבדות)"),
            _he(
                r"יש\s+לי\s+(?:תוכנית|תכנית)\s+(?:איך\s+|מתי\s+)?(?:להתאבד|למות|לשים קץ|להרוג את עצמי)"
            ),
            _he(r"(?:זו|זאת|זה)\s+(?:הרשומה|ההודעה|הכתיבה)\s+האחרונה\s+שלי"),
            _he(r"(?:לקפוץ|אקפוץ|קופצ(?:ת|))\s+(?:מה|מ)(?:גג|חלון|גשר|מרפסת)"),
        ),
    ),
    PhraseGroup(
        "he.intent",
        HIGH,
        (
            _he(r"להתאבד|אתאבד|התאבדתי|ניסיתי להתאבד"),
            _he(r"(?:להרוג|אהרוג|הורג(?:ת|)|הרגתי)\s+את\s+עצמי"),
            _he(r"לשים\s+(?:קץ|סוף)\s+ל(?:חיי(?:ם|)|חיים שלי)"),
            _he(r"(?:לקחת|אקח)\s+את\s+החיים\s+שלי"),
            _he(r"(?:לגמור|לסיים)\s+עם\s+(?:החיים|הכל|הכול)"),
            _he(r"(?:לגמור|לסיים|אגמור|אסיים)\s+את\s+(?:החיים\s+שלי|חיי)"),
            _he(r"מחשבות\s+(?:אובדניות|על\s+התאבדות|התאבדות|למות)"),
            _he(r"(?:אני\s+)?(?:אובדני|אובדנית)"),
            _he(
                r"(?:חושב(?:ת|)|שוקל(?:ת|)|מתכננ(?:ת|)|מתכנן)\s+(?:\w+\s+){0,2}(?:התאבדות|לשים קץ)"
            ),
        ),
    ),
    PhraseGroup(
        "he.self_harm",
        HIGH,
        (
            _he(r"(?:לפגוע|פוגע(?:ת|)|פגעתי|אפגע)\s+בעצמי"),
            _he(r"(?:לחתוך|חותכ(?:ת|)|חותך|חתכתי|אחתוך|לשרוף|שורפ(?:ת|)|שרפתי)\s+את\s+עצמי"),
            _he(r"פגיעה\s+עצמית"),
            _he(r"(?:להעניש|מעניש(?:ה|)|העני?שתי)\s+את\s+עצמי\s+(?:בכאב|בחתכים|בגוף)"),
        ),
    ),
    PhraseGroup(
        "he.wish_dead",
        CONCERN,
        (
            _he(
                r"(?:רוצה|רוצים|בא לי)\s+(?:פשוט\s+|כבר\s+|רק\s+|באמת\s+)?(?:למות|להיות מת(?:ה|)|להיעלם לתמיד|לא להתקיים|להפסיק להתקיים)"
            ),
            _he(r"הלוואי\s+(?:ו|ש)?(?:הייתי|אני)\s+(?:מת|מתה|מתים)"),
            _he(r"הלוואי\s+(?:ש|ו)?(?:אמות|לא הייתי נולד(?:ת|)|לא נולדתי)"),
            _he(
                r"לא\s+רוצה\s+(?:יותר\s+|כבר\s+)?(?:לחיות(?!\s+(?:ב\w|עם|ליד|לבד|פה\s+ב|כאן\s+ב))|להתעורר|להמשיך לחיות|להיות פה יותר|להיות כאן יותר|להתקיים|להיות בחיים)"
            ),
            _he(r"נמאס\s+לי\s+(?:לחיות|מהחיים|מלחיות)"),
            _he(
                r"לא\s+בא\s+לי\s+(?:יותר\s+|כבר\s+)?(?:לחיות(?!\s+(?:ב\w|עם|ליד|לבד|פה\s+ב|כאן\s+ב))|להיות בחיים|להתקיים)"
            ),
            _he(
                r"(?:רוצה|בא\s+לי|הלוואי\s+ו?ש?)\s+(?:פשוט\s+|רק\s+)?(?:לישון|להירדם|אירדם|אישן)\s+ולא\s+(?:להתעורר|אתעורר)(?!\s+עד)"
            ),
            _he(r"(?:עדיף|יותר טוב)\s+(?:לי\s+)?(?:למות|שאמות|שאני אמות|להיות מת(?:ה|))"),
            _he(r"(?:מקווה|מקווה ש)\s*(?:לא\s+אתעורר|אמות)"),
        ),
    ),
    PhraseGroup(
        "he.hopeless_burden",
        CONCERN,
        (
            _he(r"אין\s+לי\s+(?:בשביל\s+מה|למה|סיבה)\s+(?:לחיות|להמשיך לחיות)"),
            _he(r"אין\s+(?:טעם|סיבה)\s+(?:לחיות|להמשיך לחיות|בחיים\s+שלי|בחיים)"),
            _he(
                r"(?:אני\s+)?(?:רק\s+)?(?:נטל|מעמסה)\s+(?:על\s+(?:כולם|המשפחה|כולכם)|לכולם|לכל\s+מי)"
            ),
            _he(r"אני\s+(?:רק\s+)?(?:נטל|מעמסה)"),
            _he(
                r"(?:לכולם|כולם|למשפחה שלי|לעולם)\s+(?:יהיה|יהיו|יהיה להם)\s+(?:\w+\s+)?(?:טוב|טובים)\s+יותר\s+(?:בלעדיי|בלעדי|בלי\s+שאני|אם\s+אמות|אם\s+לא\s+אהיה)"
            ),
            _he(
                r"(?:אף\s+אחד|אף\s+אחת|אף\s+אחד\s+לא)\s+(?:לא\s+)?(?:יתגעגע|ישים\s+לב|ירגיש)\s+(?:אליי\s+|אם\s+)?(?:אם\s+)?(?:אמות|אעלם|איעלם|לא\s+אהיה)"
            ),
            _he(r"(?:לא\s+)?(?:יכול(?:ה|)|מסוגל(?:ת|))\s+(?:יותר\s+)?להמשיך\s+לחיות"),
        ),
    ),
)

# Idioms blanked before matching (they borrow the words but mean something else).
_IDIOMS = (
    r"\b(?:die|died|dying|dead)\s+(?:of|from|with)\s+(?:embarrassment|shame|laughter|laughing|"
    r"boredom|cringe|cuteness|curiosity|envy|jealousy|happiness|excitement|heat|hunger)\b",
    r"\b(?:die|died|dying|kill(?:ing|ed)? myself|killed myself)\s+laughing\b",
    r"\bkill(?:ing|ed)? myself\s+(?:at|with|over|for|to|trying|working|studying)\b",
    r"\b(?:to die for)\b",
    r"\brather\s+die\s+than\s+(?!(?:live|living|go on|going on|keep|continue|wake|be alive|feel|exist)\b)",
    r"\bsuicide\s+(?:mission|squad|run|doors?|prevention|hotline|awareness|line|bomb\w*|rate)\b",
    r"\bself[- ]harm\s+(?:awareness|prevention)\b",
    # Hebrew: "to die of shame/laughing/hunger…", "crazy about (מת על)".
    r"(?<!\w)(?:[ושהל]{0,2})(?:למות|מת|מתה|מתים|מתתי)\s+מ(?:ה)?(?:בושה|צחוק|פדיחות|פדיחה|שעמום|רעב|קנאה|"
    r"חום|קור|עייפות|התרגשות|אושר|פחד)",
    r"(?<!\w)(?:מת|מתה|מתים|מתות)\s+על",
    r"(?<!\w)(?:מעדיפ(?:ה|ים|)|הייתי\s+מעדיפ(?:ה|))\s+למות\s+מאשר\s+(?!לחיות|להמשיך)",
)

_NEGATORS_EN = frozenset(
    {
        "not",
        "never",
        "no",
        "nor",
        "dont",
        "wont",
        "cant",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "didnt",
        "isnt",
        "aint",
        "neither",
    }
)
_NEGATORS_HE = frozenset({"לא", "אל", "אינ", "אינני", "איני", "מעולמ", "לעולמ", "אפ"})
# Words that, between a negation and the phrase, show the negation is about something
# else ("I can't stop thinking about…", "I don't know why I want to die").
_RESETS_EN = frozenset(
    {
        "know",
        "why",
        "stop",
        "help",
        "sure",
        "if",
        "whether",
        "wonder",
        "understand",
        "tell",
        "remember",
        "how",
        "when",
        "anymore",
        # A conjunction starts a new thought in a run-on sentence: "I can't sleep and
        # I want to die" is not "I can't ... want to die".
        "and",
        "so",
        "because",
        "cause",
        "cuz",
    }
)
_RESETS_HE = frozenset(
    {
        "יודע",
        "יודעת",
        "למה",
        "להפסיק",
        "מפסיק",
        "מפסיקה",
        "אמ",
        "מבינ",
        "מבינה",
        "זוכר",
        "זוכרת",
        "איכ",
        "כש",
        "מתי",
        "יותר",
        "אני",
    }
)
_OTHERS_EN = frozenset(
    {
        "he",
        "she",
        "they",
        "he's",
        "she's",
        "they're",
        "he'd",
        "she'd",
        "they'd",
        "him",
        "her",
        "them",
        "friend",
        "brother",
        "sister",
        "mom",
        "mum",
        "mother",
        "dad",
        "father",
        "someone",
        "somebody",
        "son",
        "daughter",
        "cousin",
        "client",
        "patient",
        "character",
        "partner",
        "you",
        "you're",
        "we",
        "people",
    }
)
_OTHERS_HE = frozenset(
    {
        "הוא",
        "היא",
        "המ",
        "הנ",
        "אתה",
        "אתמ",
        "אתנ",
        "חבר",
        "חברה",
        "חברימ",
        "חברות",
        "אחי",
        "אחותי",
        "אחות",
        "אמא",
        "אבא",
        "מישהו",
        "מישהי",
        "אנשימ",
        "בנ",
        "בת",
        "הבנ",
        "הבת",
    }
)
_SELF_EN = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "myself"})
_SELF_HE = frozenset({"אני", "עצמי", "אותי"})

_FINALS = str.maketrans({"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"})
_APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'", "׳": "'", "״": '"', "־": "-"}
)
# Hebrew points and cantillation (the maqaf and punctuation in that block are kept).
_POINTS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BLOCKQUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_CLAUSE_END = re.compile(r"[.!?;:,\n]|\bbut\b|(?<!\w)ו?אבל(?!\w)")
_TOKEN = re.compile(r"[\w']+")


def normalise(text: str) -> str:
    """The text as the patterns see it (before quotes and idioms are dropped)."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _POINTS.sub("", text)
    text = text.translate(_APOSTROPHES).casefold()
    return text.translate(_FINALS)


def _fold(pattern: str) -> str:
    return pattern.translate(_FINALS)


# A space written in a pattern stands for any run of white space, line breaks included:
# "kill  myself" typed with two spaces or wrapped onto the next line is the same phrase.
# (The one space inside a character class, "self[- ]harm", stays a class member.)
_PATTERN_SPACE = re.compile(r"(?<!\[-) ")


def _spaced(pattern: str) -> str:
    return _PATTERN_SPACE.sub(r"\\s+", pattern)


_COMPILED: tuple[tuple[PhraseGroup, tuple[re.Pattern[str], ...]], ...] = tuple(
    (group, tuple(re.compile(_spaced(_fold(p)), re.MULTILINE) for p in group.patterns))
    for group in PHRASES
)
_IDIOM_RE = tuple(re.compile(_fold(p)) for p in _IDIOMS)


def _strip_prefixes(token: str, words: frozenset[str]) -> bool:
    """True when ``token`` (or it without one or two Hebrew prefix letters) is in ``words``."""
    if token in words:
        return True
    for cut in (1, 2):
        if (
            len(token) > cut + 1
            and all(c in "ושהלבכמ" for c in token[:cut])
            and token[cut:] in words
        ):
            return True
    return False


def _clause_before(text: str, start: int) -> list[str]:
    """The words of the clause that ends where a match starts."""
    head = text[:start]
    ends = [m.end() for m in _CLAUSE_END.finditer(head)]
    if ends:
        head = head[ends[-1] :]
    return [t.replace("'", "") if t.endswith("n't") else t for t in _TOKEN.findall(head)]


def _negated(words: list[str], hebrew: bool) -> bool:
    negators = _NEGATORS_HE if hebrew else _NEGATORS_EN
    resets = _RESETS_HE if hebrew else _RESETS_EN
    window = words[-4:]
    for index in range(len(window) - 1, -1, -1):
        word = window[index]
        if hebrew:
            if _strip_prefixes(word, resets) or word.startswith("כש"):
                return False
            if _strip_prefixes(word, negators):
                return True
        else:
            if word in resets:
                return False
            if word in negators or (
                word.endswith("nt")
                and word[:-2]
                in {
                    "do",
                    "wo",
                    "ca",
                    "would",
                    "could",
                    "should",
                    "did",
                    "is",
                    "are",
                    "was",
                    "were",
                    "does",
                    "have",
                    "has",
                }
            ):
                return True
    return False


def _about_someone_else(words: list[str], hebrew: bool) -> bool:
    others = _OTHERS_HE if hebrew else _OTHERS_EN
    selves = _SELF_HE if hebrew else _SELF_EN
    for word in reversed(words[-3:]):
        if _strip_prefixes(word, selves) if hebrew else word in selves:
            return False
        if _strip_prefixes(word, others) if hebrew else word in others:
            return True
    return False


_QUOTE_PAIRS = {"“": "”", "„": "“”", "«": "»"}


def _drop_quotes_in_line(line: str) -> str:
    """``line`` with each quoted span replaced by a clause break.

    Linear in the line's length whatever it holds: once no closing mark follows an
    opening one, later openings of that kind are skipped without searching again.
    """
    spans: list[tuple[int, int]] = []
    exhausted: set[str] = set()
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        end = -1
        if char in _QUOTE_PAIRS and char not in exhausted:
            found = [p for p in (line.find(c, i + 1) for c in _QUOTE_PAIRS[char]) if p != -1]
            if found:
                end = min(found)
            else:
                exhausted.add(char)
        elif char == '"' and '"' not in exhausted and (i == 0 or not _is_word(line[i - 1])):
            # A straight quote opens only after a non-letter (ער"ן is an abbreviation)
            # and closes only before one.
            k = i + 1
            while True:
                j = line.find('"', k)
                if j == -1:
                    exhausted.add('"')
                    break
                if j + 1 >= n or not _is_word(line[j + 1]):
                    end = j
                    break
                k = j + 1
        if end != -1:
            spans.append((i, end + 1))
            i = end + 1
        else:
            i += 1
    if not spans:
        return line
    parts, last = [], 0
    for begin, stop in spans:
        parts.append(line[last:begin])
        parts.append(" ; ")
        last = stop
    parts.append(line[last:])
    return "".join(parts)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
# Journal text is markdown (and may hold a little HTML): emphasis marks and tags are
# dropped so "I want to *die*" or "to <b>die</b>" reads as the words it shows.
_MARKUP_TAG = re.compile(r"</?[a-z][a-z0-9]{0,15}(?:\s[^<>\n]{0,200})?/?>")
_EMPHASIS = re.compile(r"[*_~`]+")


def _prepare(text: str) -> str:
    # Windows line breaks from a textarea become "\n"; runs of spaces and tabs one space
    # (idioms are written with single spaces, and a line break still ends a clause).
    text = normalise(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _BLOCKQUOTE.sub(" ; ", text)
    text = _EMPHASIS.sub("", _MARKUP_TAG.sub("", text))
    text = "\n".join(_drop_quotes_in_line(line) for line in text.split("\n"))
    for idiom in _IDIOM_RE:
        text = idiom.sub(" ; ", text)
    return text


def crisis_scan(text: str) -> CrisisMatch | None:
    """The crisis language in ``text`` (see the module docstring), or None.

    Pure: no database, no settings. Returns the most urgent severity found, the ids of
    every phrase group that matched (most urgent first), and the language of the
    most urgent one.
    """
    if not text or not text.strip():
        return None
    prepared = _prepare(text)
    found: list[PhraseGroup] = []
    for group, patterns in _COMPILED:
        hebrew = group.language == "he"
        for pattern in patterns:
            if any(
                not _negated(words, hebrew) and not _about_someone_else(words, hebrew)
                for words in (
                    _clause_before(prepared, m.start()) for m in pattern.finditer(prepared)
                )
            ):
                found.append(group)
                break
    if not found:
        return None
    found.sort(key=lambda g: (-severity_rank(g.severity), g.id))
    return CrisisMatch(
        severity=found[0].severity,
        groups=tuple(g.id for g in found),
        language=found[0].language,
    )
