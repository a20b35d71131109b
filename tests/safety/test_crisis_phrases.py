"""The crisis phrase lists (loom.core.crisis): pure, no database."""

from __future__ import annotations

import pytest

from loom.core.crisis import CONCERN, HIGH, IMMINENT, PHRASES, crisis_scan, normalise

EN_POSITIVE = [
    "I want to kill myself",
    "i want to kill myself.",
    "I keep thinking about killing myself",
    "I can't stop thinking about killing myself",
    "I've been thinking about suicide a lot",
    "Honestly I'm suicidal right now",
    "I feel so suicidal today",
    "Feeling suicidal again.",
    "I'm going to end my life",
    "I want to end it all",
    "I'm planning to take my own life",
    "I might commit suicide",
    "I'm considering suicide",
    "I've had suicidal thoughts all week",
    "I tried to kill myself last year and the feeling is back",
    "I want to die",
    "Sometimes I just want to die.",
    "I don't know why I want to die",
    "I wish I was dead",
    "I wish I were dead",
    "I wish I had never been born",
    "I don't want to live anymore",
    "I do not want to live",
    "I don't want to wake up tomorrow",
    "I never want to wake up again",
    "hoping I don't wake up",
    "Everyone would be better off without me",
    "My family would be better off without me.",
    "I'm just a burden to everyone",
    "I am a burden",
    "There's no reason to live",
    "I have nothing left to live for",
    "No one would care if I died",
    "I'm tired of living",
    "I cut myself again last night",
    "I've been hurting myself",
    "I started self-harming again",
    "I want to hurt myself",
    "I'm going to kill myself tonight",
    "I have a plan to kill myself",
    "I wrote a suicide note",
    "This is my last entry",
    "I've been stockpiling my pills",
    "Tonight is the night",
    "I'm better off dead",
    "It's not okay. I want to die",
    "No, I want to die",
    "I’m going to kill myself",  # curly apostrophe
    "I WANT TO DIE",
]

EN_NEGATIVE = [
    "I would never kill myself",
    "I'm not suicidal",
    "I'm not going to kill myself, I promise",
    "I don't want to die",
    "I really don't want to die",
    "I'm not thinking about suicide anymore",
    "There's no way I would hurt myself",
    "I'm killing it at work this week",
    "I could kill for a coffee",
    "I'm dying to see the new film",
    "This dress is to die for",
    "I almost died laughing",
    "I wanted to die of embarrassment",
    "I'd rather die than go to that party",
    "I've been killing myself at the gym",
    "I'm killing myself trying to finish this project",
    "My friend said she wanted to kill herself",
    "My brother said he wants to die",
    "She is suicidal and I am worried about her",
    "He told me he had been cutting himself",
    'The song goes "I want to die" over and over',
    "She said “I want to kill myself” and then laughed",
    "> I want to die\nThat line from the book stayed with me",
    "We watched Suicide Squad last night",
    "I went to a suicide prevention training",
    "I want to live a long and happy life",
    "I love my life",
    "My phone battery died",
    "The plant is dead",
    "I'm dead tired",
    "That joke killed me",
    "My feet are killing me",
    "I'm so bored",
    "I had a great session today",
    "I felt anxious but it passed",
    "Cutting back on sugar myself",
    "I need to end it with my boyfriend",
    "The end of my life story chapter in the book club",
    "Let's end the meeting",
    "I don't want to live in this city anymore",
    "I'm not a burden, my therapist reminded me",
    "I want to end it with my boyfriend",
    "",
    "   ",
]

HE_POSITIVE = [
    "אני רוצה למות",
    "אני פשוט רוצה למות",
    "בא לי למות",
    "אני רוצה להתאבד",
    "אני חושבת להתאבד",
    "ושאני רוצה למות",
    "אני לא יודעת למה אני רוצה למות",
    "אני לא רוצה לחיות",
    "אני לא רוצה לחיות יותר",
    "לא רוצה להתעורר מחר",
    "אני לא רוצה להמשיך לחיות",
    "נמאס לי לחיות",
    "נמאס לי מהחיים",
    "הלוואי שהייתי מתה",
    "הלוואי שלא נולדתי",
    "עדיף לי למות",
    "אין לי בשביל מה לחיות",
    "אין לי סיבה לחיות",
    "אין טעם לחיות",
    "אני רק נטל על כולם",
    "אני נטל",
    "לכולם יהיה טוב יותר בלעדיי",
    "אני לא יכולה להמשיך לחיות ככה",
    "אני רוצה לשים קץ לחיים שלי",
    "אני רוצה לשים קץ לחיי",
    "אני רוצה להרוג את עצמי",
    "אני חותכת את עצמי",
    "חתכתי את עצמי אתמול",
    "פגעתי בעצמי שוב",
    "אני רוצה לפגוע בעצמי",
    "יש לי מחשבות אובדניות",
    "אני אובדנית",
    "ניסיתי להתאבד בעבר",
    "הלילה אני הולכת להתאבד",
    "אני הולך להתאבד הלילה",
    "כתבתי מכתב פרידה",
    "קניתי כדורים כדי להתאבד",
    "יש לי תוכנית איך להתאבד",
    "זו הרשומה האחרונה שלי",
    "אני רוצה לקפוץ מהגג",
    "אני לא יכולה להפסיק לחשוב על להתאבד",
    "אֲנִי רוֹצָה לָמוּת",  # with niqqud
    "אני רוצה\u200f למות",  # with a direction mark inside
    "לא, אני רוצה למות",
]

HE_NEGATIVE = [
    "אני לא רוצה למות",
    "אני ממש לא רוצה למות",
    "לעולם לא אתאבד",
    "אני אף פעם לא אפגע בעצמי",
    "אין לי שום כוונה להתאבד",
    "אני לא אובדנית",
    "מת על זה",
    "אני מת על הסדרה הזאת",
    "מתתי מצחוק",
    "רציתי למות מבושה",
    "בא לי למות מצחוק",
    "אני מתה מרעב",
    "אני מת לראות את הסרט",
    "הרגת אותי עם הבדיחה",
    "היא אמרה שהיא רוצה למות",
    "הוא רוצה להתאבד ואני דואגת לו",
    "חבר שלי אמר שהוא רוצה למות",
    'היא אמרה "אני רוצה למות" וצחקה',
    "השיר „אני רוצה למות“ מתנגן לי בראש",
    "> אני רוצה למות\nשורה מהספר",
    "אני רוצה לחיות חיים ארוכים",
    "אני אוהבת את החיים שלי",
    "הטלפון שלי מת",
    "הצמח מת",
    "אני עייפה מתה",
    "היה לי יום נהדר",
    'התקשרתי לער"ן לשאול על התנדבות',
    "אני רוצה לסיים את הפרויקט",
    "אני רוצה לגמור את העבודה",
    "אני רוצה לחתוך את העוגה",
    "אני לא נטל, אמרה לי הפסיכולוגית",
    "נמאס לי מהעבודה",
    "אין לי כוח היום",
    "אני לא יכולה יותר עם הפקקים",
    "אני רוצה להיעלם לשבוע בחופשה",
    "הסבתא שלי מתה בשנה שעברה",
    "קראתי ספר על מניעת התאבדות",
    "צפינו בסרט על מלחמה",
    "אני הורגת את הזמן",
    "מעדיף למות מאשר ללכת למסיבה הזאת",
    "אני רוצה לשים סוף לריב",
    "אני לא רוצה לחיות בתל אביב",
    "אני לא רוצה לחיות עם השותפה שלי",
]


@pytest.mark.parametrize("text", EN_POSITIVE)
def test_english_crisis_language_is_recognised(text: str) -> None:
    match = crisis_scan(text)
    assert match is not None, text
    assert all(group.startswith("en.") for group in match.groups)
    assert match.language == "en"


@pytest.mark.parametrize("text", EN_NEGATIVE)
def test_english_negations_idioms_quotes_and_others_are_not_signals(text: str) -> None:
    assert crisis_scan(text) is None, text


@pytest.mark.parametrize("text", HE_POSITIVE)
def test_hebrew_crisis_language_is_recognised(text: str) -> None:
    match = crisis_scan(text)
    assert match is not None, text
    assert match.language == "he"


@pytest.mark.parametrize("text", HE_NEGATIVE)
def test_hebrew_negations_idioms_quotes_and_others_are_not_signals(text: str) -> None:
    assert crisis_scan(text) is None, text


def test_lists_are_large_enough() -> None:
    for examples in (EN_POSITIVE, EN_NEGATIVE, HE_POSITIVE, HE_NEGATIVE):
        assert len(examples) >= 40


@pytest.mark.parametrize(
    ("text", "severity", "group"),
    [
        ("I'm going to kill myself tonight", IMMINENT, "en.plan"),
        ("I wrote a goodbye letter", IMMINENT, "en.plan"),
        ("I want to kill myself", HIGH, "en.intent"),
        ("I cut myself", HIGH, "en.self_harm"),
        ("I want to die", CONCERN, "en.wish_dead"),
        ("I'm a burden to everyone", CONCERN, "en.hopeless_burden"),
        ("הלילה אני הולכת להתאבד", IMMINENT, "he.plan"),
        ("אני רוצה להתאבד", HIGH, "he.intent"),
        ("פגעתי בעצמי", HIGH, "he.self_harm"),
        ("אני רוצה למות", CONCERN, "he.wish_dead"),
        ("אני נטל", CONCERN, "he.hopeless_burden"),
    ],
)
def test_severity_and_group(text: str, severity: str, group: str) -> None:
    match = crisis_scan(text)
    assert match is not None
    assert match.severity == severity
    assert group in match.groups


def test_most_urgent_group_first_and_sets_severity() -> None:
    match = crisis_scan("I'm a burden. I want to kill myself tonight.")
    assert match is not None
    assert match.severity == IMMINENT
    assert match.groups[0] == "en.plan"
    assert {"en.intent", "en.hopeless_burden"} <= set(match.groups)


def test_mixed_language_text_reports_the_most_urgent_language() -> None:
    match = crisis_scan("Long day. אני רוצה להתאבד")
    assert match is not None
    assert match.language == "he"


def test_a_quote_does_not_hide_the_writers_own_words() -> None:
    match = crisis_scan('The song says "everything is fine". I want to die.')
    assert match is not None


def test_normalise_folds_finals_niqqud_apostrophes() -> None:
    assert normalise("חַיִּים") == "חיימ"
    assert normalise("I’M") == "i'm"
    assert normalise("ער״ן") == 'ער"נ'


def test_group_ids_and_severities_are_well_formed() -> None:
    ids = [group.id for group in PHRASES]
    assert len(ids) == len(set(ids))
    for expected in ("en.intent", "en.plan", "en.self_harm", "en.wish_dead", "en.hopeless_burden"):
        assert expected in ids
        assert expected.replace("en.", "he.") in ids
    assert {group.severity for group in PHRASES} == {IMMINENT, HIGH, CONCERN}


def test_long_text_is_scanned_quickly_and_without_error() -> None:
    text = ("Today was fine, nothing special. " * 2000) + "I want to die"
    assert crisis_scan(text) is not None
