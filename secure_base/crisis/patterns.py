"""Deterministic crisis detection: curated spaCy rules and their benign exclusions.

This is the second, rule-based layer of Secure Base's crisis safety net (the first is the
DIET ``crisis`` intent). It has to recognise, every time, a person who says they want to
die, are hurting themselves, have a plan or the means, feel like a burden, are saying
goodbye, are in danger from someone else, or are being abused; and it must stay quiet on
ordinary figures of speech ("this homework is killing me", "I'm dying to know").

How matching works
------------------
* Rules are written in a small pattern language (see ``_compile_pattern``) and compiled
  into ``spacy.matcher.Matcher`` token patterns; fixed expressions and slang go into a
  ``spacy.matcher.PhraseMatcher`` on ``LOWER``.
* Word tokens match on ``Token._.sb_crisis_norm``: the token's spaCy lemma, lower-cased,
  overridden by the curated table ``WORD_FORMS`` below (inflections, contractions as
  spaCy splits them - "ca n't", "wo nt", "gon na" - slang and common misspellings). Every
  word a rule uses is in that table or is taken literally, so results do not depend on the
  tagger: the detector behaves the same on Rasa's lower-cased, parser-less ``SpacyNLP``
  docs, on ``spacy.load("en_core_web_sm")`` docs with their original casing, and on a blank
  tokenizer-only pipeline (the safety net's fallback), which has no lemmas at all.
* Gaps (``.``) never cross punctuation, so "man, this hits me" is not "man ... hits me".
* A match is dropped when it overlaps a benign idiom ("killing me", "dying to", "die of
  embarrassment", "dead tired", "shoot myself in the foot", "cut myself some slack", ...)
  or when a rule's own ``unless_*`` context says it is something else ("cut myself
  shaving", "overdosed on chocolate", "I don't want to live with my parents").

Design stance
-------------
Missing a person in crisis is far worse than an unnecessary check-in, so ambiguous but
plausible disclosures fire on purpose. There is no negation handling: "I'd never kill
myself" still fires, because people in crisis often phrase it that way. Known, accepted
over-triggers are listed in ``tests/test_crisis_patterns.py`` (e.g. "my mum will kill me
if I'm late", "I'd rather die than sing karaoke").

Nothing here loads a model or touches the disk; rules are compiled when a
``CrisisDetector`` is constructed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover - typing only
    from spacy.language import Language
    from spacy.tokens import Doc, Token
    from spacy.vocab import Vocab

# --------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------

SUICIDAL_IDEATION = "suicidal_ideation"
SELF_HARM = "self_harm"
PLAN_OR_MEANS = "plan_or_means"
BURDEN = "burden"
GOODBYE = "goodbye"
DANGER_FROM_OTHERS = "danger_from_others"
ABUSE = "abuse"
BENIGN = "benign"

#: Crisis categories, most urgent first; when several rules match, the reported match is
#: the one with the most urgent category (then the earliest).
CATEGORIES: Tuple[str, ...] = (
    PLAN_OR_MEANS,
    SUICIDAL_IDEATION,
    SELF_HARM,
    GOODBYE,
    BURDEN,
    DANGER_FROM_OTHERS,
    ABUSE,
)

#: Name of the spaCy token extension the word patterns match on.
NORM_ATTR = "sb_crisis_norm"

# --------------------------------------------------------------------------------------
# Curated word forms: "base: form form ..." - every form normalises to base.
# Inflections, spaCy's contraction pieces, slang and misspellings. Words used by a rule
# must appear here (as a base or a form) or be spelt in the rule exactly as users type
# them; ``tests/test_crisis_patterns.py`` checks that.
# --------------------------------------------------------------------------------------

_WORD_FORMS_TABLE = """
be: am is are was were been being 'm m 're re b im bein
have: has had having 've ve hav
do: does did doing done
not: n't nt dont
will: wo 'll ll wil
would: 'd d wud wld wd
can: ca
go: goes went going gon
to: 2 na ta tu
want: wants wanted wanting wanna wana wnat wnt whant wamt wan wanted wantd
wish: wishes wished wishing wsh
hope: hopes hoped hoping
need: needs needed needing
pray: prays prayed praying
deserve: deserves deserved deserving
plan: plans planned planning
intend: intends intended intending
tempt: tempted tempting tempts
prefer: prefers preferred preferring
try: tries tried trying tryna
kill: kills killed killing kil kils kiled kiling killin kll kiil
murder: murders murdered murdering
die: dies died dying dieing dyin
dead: ded
end: ends ended ending
unalive: unalives unalived unaliving
off: offed offing
top: topped topping
take: takes took taken taking tk
swallow: swallows swallowed swallowing
eat: eats ate eaten eating
pop: pops popped popping
down: downed downing
neck: necked necking
chug: chugs chugged chugging
gulp: gulps gulped gulping
overdose: overdoses overdosed overdosing ovedose overdoze
save: saves saved saving
stockpile: stockpiles stockpiled stockpiling
hoard: hoards hoarded hoarding
stash: stashes stashed stashing
store: stores stored storing
collect: collects collected collecting
hide: hides hid hidden hiding
keep: keeps kept keeping
count: counts counted counting
line: lines lined lining
lay: lays laid laying
jump: jumps jumped jumping jumpt
leap: leaps leaped leapt leaping
throw: throws threw thrown throwing
hurl: hurls hurled hurling
fling: flings flung flinging
step: steps stepped stepping
walk: walks walked walking
wade: wades waded wading
drive: drives drove driven driving
crash: crashes crashed crashing
stand: stands stood standing
sit: sits sat sitting
climb: climbs climbed climbing
hang: hangs hung hanged hanging
shoot: shoots shot shooting
drown: drowns drowned drowning
poison: poisons poisoned poisoning
suffocate: suffocates suffocated suffocating
smother: smothers smothered smothering
stab: stabs stabbed stabbing
electrocute: electrocutes electrocuted electrocuting
strangle: strangles strangled strangling
gas: gassed gassing
asphyxiate: asphyxiates asphyxiated asphyxiating
slit: slits slitting
slash: slashes slashed slashing
cut: cuts cutting cuting
burn: burns burned burnt burning
hurt: hurts hurting hurtin
harm: harms harmed harming
injure: injures injured injuring
hit: hits hitting
punch: punches punched punching
scratch: scratches scratched scratching
bite: bites bit bitten biting
bruise: bruises bruised bruising
carve: carves carved carving
starve: starves starved starving
mutilate: mutilates mutilated mutilating
beat: beats beaten beating
kick: kicks kicked kicking
slap: slaps slapped slapping
choke: chokes choked choking
smack: smacks smacked smacking
shove: shoves shoved shoving
push: pushes pushed pushing
slam: slams slammed slamming
throttle: throttles throttled throttling
attack: attacks attacked attacking
assault: assaults assaulted assaulting
whip: whips whipped whipping
headbutt: headbutts headbutted headbutting
batter: batters battered battering
thump: thumps thumped thumping
grab: grabs grabbed grabbing
threaten: threatens threatened threatening threatend threatning
swear: swears swore sworn swearing
promise: promises promised promising
say: says said saying sed
tell: tells told telling
warn: warns warned warning
stalk: stalks stalked stalking
follow: follows followed following
harass: harasses harassed harassing harrass harrassed harrassing
blackmail: blackmails blackmailed blackmailing
lock: locks locked locking
let: lets letting
hold: holds held holding
get: gets got gotten getting
become: becomes became becoming
turn: turns turned turning
touch: touches touched touching
molest: molests molested molesting
rape: rapes raped raping
abuse: abuses abused abusing
grope: gropes groped groping
force: forces forced forcing
make: makes made making
pressure: pressures pressured pressuring
coerce: coerces coerced coercing
groom: grooms groomed grooming
have_sex: 
sleep: sleeps slept sleeping
rest: rests rested resting
wake: wakes woke woken waking
live: lives lived living
exist: exists existed existing
breathe: breathes breathed breathing
disappear: disappears disappeared disappearing dissapear dissappear disapear
vanish: vanishes vanished vanishing
miss: misses missed missing
notice: notices noticed noticing
care: cares cared caring
mind: minds minded minding
cry: cries cried crying
feel: feels felt feeling
think: thinks thought thinking
dream: dreams dreamed dreamt dreaming
fantasize: fantasizes fantasized fantasizing fantasise fantasises fantasised fantasising
imagine: imagines imagined imagining
picture: pictures pictured picturing
write: writes wrote written writing
leave: leaves left leaving
give: gives gave given giving
buy: buys bought buying
purchase: purchases purchased purchasing
own: owns owned owning
load: loads loaded loading
find: finds found finding
pull: pulls pulled pulling
point: points pointed pointing
carry: carries carried carrying
bring: brings brought bringing
wave: waves waved waving
tie: ties tied tying
put: puts putting
sort: sorts sorted sorting
finish: finishes finished finishing
look: looks looked looking
research: researches researched researching
google: googles googled googling
search: searches searched searching
read: reads reading
see: sees saw seen seeing
hear: hears heard hearing
start: starts started starting
stop: stops stopped stopping
relapse: relapses relapsed relapsing
quit: quits quitting
cope: copes coped coping
handle: handles handled handling
bear: bears bore borne bearing
face: faces faced facing
continue: continues continued continuing
carry_on: 
matter: matters mattered mattering
myself: myslef mysef mysefl myselfe mself mysel mysself myseld meself mysellf
yourself: urself yourselves yourslef
themselves: themself
pill: pills pils pillz
tablet: tablets
med: meds
medication: medications meds medicationz
medicine: medicines
prescription: prescriptions
painkiller: painkillers
antidepressant: antidepressants
opioid: opioids
opiate: opiates
benzo: benzos
drug: drugs
dose: doses
bottle: bottles
box: boxes
packet: packets
pack: packs
strip: strips
handful: handfuls
dozen: dozens
hundred: hundreds
gun: guns
pistol: pistols
rifle: rifles
firearm: firearms
knife: knives
weapon: weapons
blade: blades razorblade razorblades
razor: razors
rope: ropes
belt: belts
bridge: bridges
building: buildings
roof: roofs
cliff: cliffs
balcony: balconies
window: windows
train: trains
car: cars
bus: buses
truck: trucks
lorry: lorries
track: tracks
wrist: wrists
arm: arms
thigh: thighs
leg: legs
vein: veins
hip: hips
scar: scars
letter: letters
note: notes
thing: things
belonging: belongings
possession: possessions
affair: affairs
burden: burdens burdon burdan
threat: threats
kid: kids
child: children
son: sons
daughter: daughters
baby: babies
parent: parents
sibling: siblings
niece: nieces
nephew: nephews
stepchild: stepchildren
partner: partners
brother: brothers
sister: sisters
friend: friends
man: men
person: people
bully: bullies
classmate: classmates
student: students
stalker: stalkers
anymore: anymor anymre
"""


def _parse_word_forms(table: str) -> Dict[str, str]:
    forms: Dict[str, str] = {}
    for line in table.strip().splitlines():
        base, _, rest = line.partition(":")
        base = base.strip()
        if "_" in base:  # placeholder lines for multi-word entries (documentation only)
            continue
        forms.setdefault(base, base)
        for form in rest.split():
            forms[form] = base
    return forms


#: Curated ``surface form -> normalised form`` table (see module docstring).
WORD_FORMS: Dict[str, str] = _parse_word_forms(_WORD_FORMS_TABLE)

# Words the taggers may lemmatise to something a rule cannot use ("gone" -> "go").
WORD_FORMS.update({"gone": "gone", "lives": "life", "life": "life", "left": "leave"})

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})

# Parts of speech whose spaCy lemma we do not use (a pronoun's lemma "I" for "me"
# would be wrong for our purposes; proper-noun lemmas keep their casing).
_LITERAL_POS = frozenset(
    {"PRON", "DET", "ADP", "PART", "CCONJ", "SCONJ", "PUNCT", "NUM", "INTJ", "X", "SYM",
     "PROPN", "SPACE", ""}
)


def _lower(token: "Token") -> str:
    return token.lower_.translate(_APOSTROPHES)


def normalise(token: "Token") -> str:
    """The form a word pattern is compared with (the ``sb_crisis_norm`` extension).

    The curated table wins; words a rule spells literally are kept as typed; otherwise
    the token's spaCy lemma (lower-cased) for content words, or its lower-cased text.
    """
    low = _lower(token)
    known = _known_forms()
    if low in known:
        return known[low]
    if token.pos_ in _LITERAL_POS:
        return low
    lemma = token.lemma_.translate(_APOSTROPHES).lower()
    return lemma or low


def ensure_token_extension() -> None:
    """Registers ``Token._.sb_crisis_norm`` (idempotent)."""
    from spacy.tokens import Token

    if not Token.has_extension(NORM_ATTR):
        Token.set_extension(NORM_ATTR, getter=normalise)


# --------------------------------------------------------------------------------------
# Pattern language
# --------------------------------------------------------------------------------------
# A pattern is a whitespace-separated sequence of token specs:
#   word | a|b|c      a token whose normalised form is one of the words
#   @NAME             a macro from MACROS (pasted in as text before parsing)
#   %NAME             a token whose lower-cased text fully matches REGEXES[NAME]
#   #num              a token that looks like a number
#   .                 any token that is not punctuation
#   [x y|z]           a group: alternatives that are token sequences; [..]? is optional
# and any single-token spec may end in a quantifier ? * + or {m,n}.
# Context specs (unless_followed_by, unless_preceded_by, followed_by) are sequences of
# single-token specs without quantifiers; "$end" means the end of the text or a
# token that is not a word or number (punctuation, an emoji).

MACROS: Dict[str, str] = {
    # Filler adverbs that can sit inside a phrase without changing what it says.
    "ADV": (
        "just|really|honestly|seriously|literally|actually|truly|so|kinda|sometimes|"
        "often|always|still|even|genuinely|badly|totally|completely|simply|already|"
        "probably|definitely|lowkey|legit|rly|realy|fr|tbh|lately|constantly|secretly|"
        "desperately|kind|sort|of|almost|also|deeply|pretty|very|quite|sorta|rn|now|"
        "more|sooo|soo|soooo|lowkey|highkey|sincerely|somehow|finally|already|gladly"
    ),
    "TO": "to|too|t",
    # Verbs of wanting/deserving that, followed by "die", express suicidal ideation.
    "WANT": (
        "want|wish|hope|need|ready|deserve|rather|prefer|plan|intend|tempt|long|yearn|"
        "crave|desire|should|try|pray|decide|choose"
    ),
    "REFL": (
        "[myself|yourself|himself|herself|themselves|ourselves|oneself|"
        "my self|me self|ur self|your self|him self|her self|my - self]"
    ),
    "GOING_TO": (
        "[go to|about to|will|would|want to|plan to|decide to|try to|intend to|ready to|"
        "gonna|wan to|need to|should]"
    ),
    # People who may hurt someone at home or close by.
    "INTIMATE": (
        "he|she|they|partner|husband|hubby|wife|boyfriend|bf|girlfriend|gf|ex|fiance|"
        "fiancé|fiancee|spouse|dad|daddy|father|stepdad|stepfather|mum|mom|mommy|mummy|"
        "mother|stepmum|stepmom|stepmother|parent|brother|sister|stepbrother|stepsister|"
        "uncle|aunt|auntie|cousin|grandad|granddad|grandfather|grandpa|grandma|"
        "grandmother|nan|nana|son|daughter|roommate|flatmate|housemate|landlord|"
        "neighbour|neighbor|carer|caregiver|guardian|babysitter|nanny|relative|someone|"
        "somebody|man|guy|person|stranger|pimp|dealer|gang|bully|boyfriends|partners|"
        "stepson|stepdaughter|in-law|inlaws|family"
    ),
    # Everyone else who may be violent towards a person.
    "OTHER_PERSON": (
        "boss|manager|teacher|coach|colleague|coworker|priest|pastor|tutor|classmate|kid|"
        "student|doctor|officer|cop|police|policeman|instructor|supervisor|employer|"
        "trainer|teammate|friend|bully"
    ),
    "CHILD": (
        "kid|child|son|daughter|baby|toddler|boy|girl|stepson|stepdaughter|stepchild|"
        "niece|nephew|grandson|granddaughter|sibling|little|youngest|eldest|oldest|"
        "infant|newborn|teenager|teen"
    ),
    # Physical violence (hurt, kill and sexual violence are handled separately).
    "PHYS": (
        "hit|beat|punch|kick|slap|choke|strangle|smack|shove|throttle|bruise|attack|"
        "stab|bite|whip|headbutt|batter|thump|slam|strike|beat|spit|pin|grab|throw|"
        "cut|burn|kneed|elbow|stomp|brutalise|brutalize|assault"
    ),
    "PILLS": (
        "pill|tablet|med|medication|medicine|prescription|paracetamol|tylenol|"
        "acetaminophen|ibuprofen|aspirin|painkiller|antidepressant|opioid|opiate|oxy|"
        "oxycodone|codeine|tramadol|morphine|fentanyl|insulin|xanax|valium|benzo|"
        "diazepam|lorazepam|lithium|sertraline|prozac|fluoxetine|citalopram|zoloft|"
        "amitriptyline|quetiapine|seroquel|heroin|drug|sleeper|panadol|nurofen|"
        "co-codamol|cocodamol|zopiclone|mirtazapine|venlafaxine|propranolol"
    ),
    "TAKE": "take|swallow|eat|pop|down|neck|chug|gulp|scoff|overdose|od",
    "HEIGHT": (
        "bridge|building|roof|rooftop|cliff|balcony|ledge|tower|window|overpass|"
        "skyscraper|train|bus|car|truck|lorry|traffic|track|subway|tube|metro|tram|"
        "platform|flyover|motorway|highway|freeway|carpark|car-park|multistorey|"
        "multi-storey|parking|garage|railway|railroad"
    ),
    "FOOD": (
        "sugar|caffeine|coffee|chocolate|candy|sweets|cake|netflix|tv|youtube|tiktok|"
        "cuteness|carbs|pizza|cookies|drama|love|romance|reality|anime|kdramas|vitamin|"
        "vitamins|energy|nostalgia|cheese|junk|food|work|music|tea|cringe|feels|sun"
    ),
    # Reasons to "die of" something in a figure of speech.
    "BENIGN_CAUSE": (
        "embarrassment|shame|boredom|laughter|laughing|cuteness|happiness|envy|jealousy|"
        "curiosity|excitement|anticipation|suspense|heat|cringe|joy|thirst|hunger|fright|"
        "nerves|delight|exhaustion|old|natural|awkwardness|secondhand|second-hand"
    ),
    "NOBODY": "[nobody|noone|no-one|no one|not one person|not a single person|not anyone]",
    "BETTER": "better|happier|easier|lighter|calmer|freer|relieved|glad|safer",
    "QUIT_WORDS": "anymore|any more|any longer|no more|no longer|for much longer",
}

REGEXES: Dict[str, str] = {
    # suicide, suicidal, suicidality and their common misspellings (sucide, suiside,
    # suicidel, su1cide ...).
    "SUICIDE": r"(?=.{6,})s[uo]?[i1!y]?[cs]{1,2}[i1!y]?d(?:e|es|ed|al|el|ial|ality|ally)",
    "SELFHARM": r"self-?(?:harm|harming|harmed|harms|injury|injuring|injure|injured|"
    r"mutilation|mutilate|mutilating|hurt|hurting)",
    "UNALIVE": r"un-?aliv(?:e|ed|es|ing)",
    "KMS": r"kms+|kmys|kys",
    "ABUSE": r"abus(?:e|ed|es|ing|ive|er|ers|ively)",
    "RAPE": r"rap(?:e|ed|es|ing|ist|ists)",
    "MOLEST": r"molest\w*",
    "GROPE": r"grop(?:e|ed|es|ing)",
    "INCEST": r"incest\w*",
    "OVERDOSE": r"over-?dos\w*|overdoz\w*|ovrdos\w*|o\.?d'?d|o\.d",
    "NOOSE": r"noo+se?s?",
    "BIG_NUMBER": r"[1-9]\d+|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"hundred|dozens",
    "ING": r"\w{2,}ing",
    "SEWERSLIDE": r"sewerslide|sewer-slide|suicidee+|suicideal",
}

_QUANTIFIER = re.compile(r"^(?P<body>.+?)(?P<op>\?|\*|\+|\{\d*,?\d*\})?$")
_GROUP = re.compile(r"\[([^\[\]]*)\](\?)?")
_ALT = "\u00a6"  # token-level alternation inside an expanded group ("a¦b¦c")


def _expand_macros(text: str) -> str:
    def repl(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name not in MACROS:
            raise ValueError(f"unknown macro @{name}")
        return MACROS[name]

    for _ in range(5):  # macros may use macros
        new = re.sub(r"@([A-Z_]+)", repl, text)
        if new == text:
            return new
        text = new
    raise ValueError("macro expansion does not terminate")


def _is_plain_word(alternative: str) -> bool:
    return bool(alternative) and " " not in alternative and not re.search(r"[?*+{}.%#]", alternative)


def _expand_groups(pattern: str) -> List[str]:
    """Expands ``[a b|c]`` groups into separate patterns (single words are merged)."""
    match = _GROUP.search(pattern)
    if not match:
        return [" ".join(pattern.split())]
    alternatives = [alt.strip() for alt in match.group(1).split("|")]
    optional = bool(match.group(2))
    singles = [alt for alt in alternatives if _is_plain_word(alt)]
    multis = [alt for alt in alternatives if alt and alt not in singles]
    options: List[str] = []
    if singles and not multis:
        options.append(_ALT.join(singles) + ("?" if optional else ""))
    else:
        if singles:
            options.append(_ALT.join(singles))
        options.extend(multis)
        if optional:
            options.append("")
    before, after = pattern[: match.start()], pattern[match.end() :]
    expanded: List[str] = []
    for option in options:
        expanded.extend(_expand_groups(f"{before} {option} {after}"))
    return expanded


def _norm_word(word: str) -> str:
    word = word.translate(_APOSTROPHES).lower()
    return WORD_FORMS.get(word, word)


def _words(spec: str) -> List[str]:
    return sorted({_norm_word(w) for w in re.split(f"[|{_ALT}]", spec) if w})


def _token_spec(spec: str) -> Dict[str, object]:
    match = _QUANTIFIER.match(spec)
    if not match:
        raise ValueError(f"bad token spec {spec!r}")
    body, op = match.group("body"), match.group("op")
    if body == ".":
        token: Dict[str, object] = {"IS_PUNCT": False}
    elif body == "#num":
        token = {"LIKE_NUM": True}
    elif body.startswith("%"):
        name = body[1:]
        if name not in REGEXES:
            raise ValueError(f"unknown regex %{name}")
        token = {"LOWER": {"REGEX": rf"^(?:{REGEXES[name]})$"}}
    else:
        token = {"_": {NORM_ATTR: {"IN": _words(body)}}}
    if op:
        token["OP"] = op
    return token


def compile_pattern(pattern: str) -> List[List[Dict[str, object]]]:
    """Compiles one rule pattern into one or more spaCy ``Matcher`` token patterns."""
    return [
        [_token_spec(spec) for spec in expanded.split()]
        for expanded in _expand_groups(_expand_macros(pattern))
        if expanded.strip()
    ]


TokenTest = Callable[["Token"], bool]


def _context_test(spec: str) -> TokenTest:
    if spec.startswith("%"):
        regex = re.compile(rf"^(?:{REGEXES[spec[1:]]})$")
        return lambda token: bool(regex.match(_lower(token)))
    if spec == "#num":
        return lambda token: bool(token.like_num)
    words = frozenset(_words(spec)) | frozenset(
        w.translate(_APOSTROPHES).lower() for w in re.split(f"[|{_ALT}]", spec) if w
    )
    return lambda token: _lower(token) in words or normalise(token) in words


def compile_context(context: str) -> List[List[Optional[TokenTest]]]:
    """Compiles a context spec into token-test sequences (``None`` stands for ``$end``)."""
    sequences = []
    for expanded in _expand_groups(_expand_macros(context)):
        tests: List[Optional[TokenTest]] = []
        for spec in expanded.split():
            tests.append(None if spec == "$end" else _context_test(spec))
        sequences.append(tests)
    return sequences


def _is_end(doc: "Doc", index: int) -> bool:
    if index >= len(doc) or index < 0:
        return True
    token = doc[index]
    return not (token.is_alpha or token.like_num or "'" in _lower(token))


def _sequence_at(doc: "Doc", index: int, tests: List[Optional[TokenTest]], step: int) -> bool:
    """Whether ``tests`` match tokens from ``index`` on (``step`` -1 walks backwards)."""
    ordered = tests if step > 0 else list(reversed(tests))
    for offset, test in enumerate(ordered):
        position = index + offset * step
        if test is None:
            if not _is_end(doc, position):
                return False
            return True
        if position < 0 or position >= len(doc) or not test(doc[position]):
            return False
    return True


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One documented detection rule (or, with category ``benign``, one exclusion)."""

    name: str
    category: str
    about: str
    patterns: Tuple[str, ...] = ()
    phrases: Tuple[str, ...] = ()
    #: The match is dropped if the tokens right after it start one of these.
    unless_followed_by: Tuple[str, ...] = ()
    #: The match is dropped if the tokens right before it end with one of these.
    unless_preceded_by: Tuple[str, ...] = ()
    #: If given, the tokens right after the match must start one of these.
    followed_by: Tuple[str, ...] = ()


# Things that say a cut or burn was an accident.
_ACCIDENT = (
    "off", "some", "a break", "a slice", "a piece", "short", "loose", "free", "out",
    "shaving", "while", "cooking", "chopping", "slicing", "opening", "by accident",
    "accidentally", "on a|an|some|broken|sharp|the|my|that|this|paper|glass|metal",
    "at the gym", "at work", "playing", "running", "skiing", "falling", "in the kitchen",
    "making", "doing the", "with paper", "with the kitchen", "on purpose by accident",
    "up", "down", "to pieces", "into", "slack",
)

RULES: Tuple[Rule, ...] = (
    # ---------------------------------------------------------------- suicidal ideation
    Rule(
        "suicide_word",
        SUICIDAL_IDEATION,
        "Any form or misspelling of suicide/suicidal, or its slang ('sewerslide').",
        patterns=("%SUICIDE", "%SEWERSLIDE", "sewer slide", "self - ?delete", "selfdelete",
                  "su - icide", "s - uicide"),
    ),
    Rule(
        "kill_self",
        SUICIDAL_IDEATION,
        "Killing/ending/unaliving oneself: 'kill myself', 'off myself', 'top myself', "
        "'end myself', 'do myself in', 'kill my self', and the shorthand 'kms'/'kys'.",
        patterns=(
            "[kill|murder|unalive|off|top|end|destroy|delete] @REFL",
            "do @REFL in",
            "%UNALIVE",
            "un -? alive",
            "%KMS",
            "[kill|murder] me @REFL",
        ),
        unless_preceded_by=("#num",),
    ),
    Rule(
        "take_own_life",
        SUICIDAL_IDEATION,
        "Ending or taking one's own life.",
        patterns=(
            "[end|take|ending|taking] [my|your|his|her|their|our|me] own? life",
            "[end|stop] [my|this|me] [existence|suffering|misery|torment]",
            "[kill|end] [my|his|her] own? [life|existence]",
        ),
        unless_followed_by=("back", "in my own hands", "into my own hands", "seriously",
                            "forward", "in a new", "in another", "to the next", "as i know",
                            "in hand", "more seriously"),
    ),
    Rule(
        "end_it_all",
        SUICIDAL_IDEATION,
        "Ending it all / everything, or ending 'it' with a time ('end it tonight').",
        patterns=(
            "end it @ADV? [all|tonight|today|now|soon|forever|tomorrow]",
            "end it [for good|once and for all|this week|this weekend|right now|before]",
            "end [everything|it everything]",
            "end [this|my] life",
        ),
        unless_followed_by=("with", "between", "for the", "for them", "for us", "for him",
                            "for her"),
    ),
    Rule(
        "want_to_die",
        SUICIDAL_IDEATION,
        "Wanting, wishing, needing, deserving or being ready to die or be dead.",
        patterns=(
            "@WANT @ADV{0,3} @TO? @ADV{0,3} die",
            "@WANT @ADV{0,3} @TO? @ADV{0,3} be @ADV{0,2} dead",
            "[hope|wish|pray|want] [that]? [i|me] @ADV{0,2} [would|will|could|might|can|do]? "
            "@ADV{0,2} [die|dead]",
            "[wish|hope] [that]? i [be|was|were|had|'d|would] @ADV{0,2} [dead|die|gone]",
            "[i|me|im] @ADV{0,2} [deserve|want|wanna] @TO? die",
            "[i|me] be better off dead",
            "better off dead",
            "be better dead",
            "rather be dead",
            "[want|wish|hope] .{0,2} [someone|somebody|anyone|anybody|you|god|something|it] "
            "@ADV? @TO? [would|could|will]? @ADV? [kill|murder|end] me",
            "[wish|hope|pray|want] .{0,3} [car|truck|bus|train|lorry|plane|bullet] .{0,2} "
            "[hit|kill|run|crash]",
        ),
        unless_followed_by=(
            "alone", "lonely", "single", "unloved", "old", "happy", "happily", "peacefully at",
            "of old age", "a virgin", "without ever", "without having", "without finding",
            "without knowing", "without love", "with regrets", "with regret", "knowing",
            "laughing", "of %ING", "my hair", "her hair", "his hair", "their hair", "the hair",
            "it", "in a game", "in the game", "down", "out", "off", "hard", "for my",
            "for you", "for him", "for her", "for them", "for this", "for that", "for it",
            "without you", "without him", "without her", "without them", "before i",
            "first", "before them", "before him", "before her",
        ),
    ),
    Rule(
        "not_want_to_live",
        SUICIDAL_IDEATION,
        "Not wanting to live, exist, be alive or be here any more.",
        patterns=(
            "not @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} [be alive|exist|be here anymore|"
            "be here any more|be here any longer|be around anymore|be around any more|"
            "be on this earth|be in this world|be on earth|be in this life|"
            "keep living|keep existing|stay alive|continue living|continue existing]",
            "not @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} live [in|on] [this|the] "
            "[world|earth|planet] ",
            "not @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} live [anymore|any more|any longer|"
            "like this|this way|this life|another day|another minute|another year]",
            "@WANT @ADV{0,2} @TO? not [be alive|exist|be here|live|wake up|be around]",
            "@WANT @ADV{0,2} @TO? [cease to exist|stop existing|stop living|stop breathing|"
            "stop being alive|not be alive|no longer exist|no longer be alive|"
            "no longer be here|be gone forever|be gone for good|go to sleep forever]",
            "not @ADV{0,2} deserve @TO? [live|be alive|exist|be here|breathe|be born]",
            "[should|shouldn't] not? @ADV? [exist|be alive|have been born|be here]",
            "[i|me] should @ADV? not @ADV? [exist|be alive|have been born|be here]",
            "[wish|hope] [that]? i .{0,3} [never|not] [be born|exist|been born|born|wake up|"
            "woke up|be alive|been alive|be here|around]",
            "[wish|hope|want|pray|rather] .{0,3} [not|never] [wake up|wake again]",
            "[sleep|asleep|bed] and [not|never] [wake|wake up]",
            "never wake up again",
            "[sleep|rest] [forever|for ever|for good|permanently|eternally]",
            "[eternal|permanent|endless] [sleep|rest]",
            "[if|whether] i live or die",
            "[if|whether] i die or live",
        ),
    ),
    Rule(
        "not_want_to_live_bare",
        SUICIDAL_IDEATION,
        "'I don't want to live/be here' with nothing after it (not 'live with my parents').",
        patterns=(
            "not @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} [live|be here|be alive|exist|"
            "be around|wake up|go on|carry on|keep going]",
        ),
        followed_by=("$end", "and", "but", "so", "because", "cause", "cuz", "i", "im",
                     "tomorrow", "ever again", "again", "lol", "tbh", "honestly", "please",
                     "without", "no more", "sometimes", "at all", "@QUIT_WORDS"),
    ),
    Rule(
        "no_reason_to_live",
        SUICIDAL_IDEATION,
        "No reason/point/will to live, nothing to live for, life not worth living.",
        patterns=(
            "no [reason|point|purpose|will|desire|want|motivation] .{0,3} [live|alive|exist|"
            "life|existence]",
            "[nothing|nobody|noone|no one|nothing left|nobody left|no one left|not much] "
            "@ADV? [to|2] live for",
            "not [worth|worthy] @ADV? [live|be alive|exist|the effort of living]",
            "life @ADV{0,2} [be|feel|seem]? @ADV{0,2} not @ADV? worth",
            "life @ADV{0,2} [be|feel|seem]? @ADV{0,2} [pointless|meaningless|unbearable|"
            "unlivable|hopeless|worthless|a waste|over]",
            "[point|purpose] of [live|life|be alive|exist|go on|carry on|keep go]",
            "[pointless|meaningless|no point] [to|in] [live|exist|be alive|be here|go on|"
            "carry on]",
            "no [reason|point|purpose] .{0,3} [go on|carry on|keep go|keep try|try anymore|"
            "be here|stay alive|wake up|get up anymore|keep fight]",
            "no point @ADV? [anymore|any more|in anything|to anything|to any of this|"
            "in any of this]",
            "[tired|sick|exhaust|exhausted|weary|done|finish|finished] [of|with|by] @ADV? "
            "[live|life|be alive|exist|breathe|be here|it all|this life|my life|everything]",
            "done [live|exist|be alive]",
            "[want|wish|need] @ADV{0,2} [it all|everything|all of this|all this|the pain|"
            "life|my life|this life|the suffering|this pain|existence|my existence|it] "
            "@ADV? [to end|to stop|to be over|would end|would stop|over|ended|to finish]",
            "[want|wish] @ADV? [it|everything] @ADV? [all]? [to end|to stop|to be over|"
            "would end|over with|was over|were over]",
            "give up on [life|live|everything|myself|me]",
            "[ready|prepared] @TO? [go|leave this world|leave this earth|say goodbye|die]",
            "[leave|exit] [this world|this earth|this life|the world]",
        ),
        unless_followed_by=("of the", "of it", "tomorrow", "soon", "at", "in the", "on",
                            "a bit", "today", "this week"),
    ),
    Rule(
        "cant_go_on",
        SUICIDAL_IDEATION,
        "Can't go on / keep going / take it any more (not 'can't go on the trip').",
        patterns=(
            "can not @ADV? [go on|carry on|keep going|keep go|keep living|live like this|"
            "live this way|continue like this|continue living|keep doing this|face another day|"
            "face tomorrow|survive this|get through another day|do life]",
            "[will|would] not @ADV? [survive|make it through] [tonight|the night|another day|"
            "this]",
        ),
        followed_by=("$end", "like", "anymore", "any more", "any longer", "living", "much",
                     "without", "with life", "with my life", "with this", "and", "but", "so",
                     "i", "im", "no", "alone", "this", "lol", "tbh", "honestly", "please",
                     "after", "if", "because", "cause", "cuz", "for", "another", "on",
                     "@QUIT_WORDS"),
    ),
    Rule(
        "cant_take_it",
        SUICIDAL_IDEATION,
        "Can't take/bear/handle/do it or this any more.",
        patterns=(
            "can not @ADV? [take|bear|stand|handle|cope with|do|endure|survive] "
            "[it|this|life|living|this life|any of it|any of this|the pain] @ADV? @QUIT_WORDS",
            "can not @ADV? [take|bear|cope|do this|do it|handle it|handle this|stand it] "
            "@ADV? @QUIT_WORDS",
            "can not @ADV? [take|bear] [any|no] more",
        ),
    ),
    Rule(
        "disappear",
        SUICIDAL_IDEATION,
        "Wanting to disappear or vanish for good.",
        patterns=(
            "@WANT @ADV{0,2} @TO? @ADV{0,2} [disappear|vanish|fade away|cease]",
            "[wish|hope] [that]? i .{0,3} [disappear|vanish|fade away|cease]",
        ),
        followed_by=("$end", "forever", "for ever", "for good", "permanently", "completely",
                     "from this world", "from the world", "from existence", "off the face",
                     "and never", "and not", "for real", "and no one", "and nobody",
                     "and never come back", "without", "lol", "tbh", "honestly", "and",
                     "but", "so", "i", "im", "from everyone", "from everything",
                     "from this earth", "entirely", "altogether"),
    ),
    Rule(
        "thinking_about_dying",
        SUICIDAL_IDEATION,
        "Thinking, dreaming or fantasising about dying, one's own death or funeral.",
        patterns=(
            "[think|thought|dream|fantasize|fantasy|fantasies|imagine|obsess|picture|"
            "thoughts|idea|ideas|plan|planning] @ADV? [about|of]? @ADV? [die|my own death|"
            "my death|my own funeral|my funeral|not exist|not be here|not be alive|"
            "end it|end my life|end everything|end it all|kill myself|not wake up|"
            "everyone at my funeral|people at my funeral]",
            "[my|own] funeral",
        ),
        unless_followed_by=("with", "between", "in a game", "in the game", "plans", "plan for",
                            "arrangements", "wishes", "music", "song", "songs", "insurance",
                            "costs", "cost", "director", "home", "service", "was", "when"),
    ),
    # -------------------------------------------------------------------------- self harm
    Rule(
        "self_harm_word",
        SELF_HARM,
        "Self-harm, self-injury, self-mutilation in any spelling.",
        patterns=(
            "%SELFHARM",
            "self -? [harm|harming|injury|injure|injuring|mutilation|mutilate|mutilating|hurt|"
            "hurting|harmer]",
            "[cutting|burning|sh] [scars|scar|wounds|marks]",
            "scars? from [cutting|cut|burning|self]",
            "[cutter|cutters]",
        ),
    ),
    Rule(
        "harm_self",
        SELF_HARM,
        "Cutting, burning, hitting, scratching or starving oneself (not accidents).",
        patterns=(
            "[cut|burn|hit|punch|scratch|bite|bruise|carve|slash|injure|mutilate|starve|"
            "harm|whip|beat|scald|stab|pierce] @REFL",
            "hurting @REFL",
            "[want|wanna|urge|urges|going|gonna|need|tempt|temptation|might|may|will|would|"
            "could|thoughts|think|thinking|scared|afraid|worried|keep|start|started|stop|"
            "trying|try|not|plan|planning|again|deliberately|purposely|intentionally|"
            "sometimes|often|always|still] .{0,2} hurt @REFL",
            "hurt @REFL [on purpose|deliberately|intentionally|again|every|when|whenever|"
            "because|to|so|badly|$end]",
            "make @REFL [bleed|throw up|vomit|sick|puke|hurt|suffer|starve]",
            "[cut|slit|slash|carve|burn|scratch|cutting|burning] @ADV? [my|your|his|her] "
            "[wrist|arm|thigh|leg|skin|stomach|hip|forearm|body|belly|ankle|chest]",
        ),
        unless_followed_by=_ACCIDENT + ("out of", "in the foot", "up over", "up about",
                                        "up for", "up when", "with work", "in the back"),
        unless_preceded_by=("accidentally", "nearly", "almost") and ("accidentally",),
    ),
    Rule(
        "cutting_again",
        SELF_HARM,
        "Starting, relapsing into or craving cutting/burning.",
        patterns=(
            "[start|relapse|relapsed|stop|quit|resist|urge|urges|want|wanna|need|crave|"
            "craving|tempt|temptation|go back to|back to|been] @ADV? @TO? [cut|cutting|"
            "burning|self harming|hurting myself|scratching]",
            "[cut|cutting|burning|burn] [again|deeper|more|tonight]",
        ),
        followed_by=("$end", "again", "tonight", "so", "really", "deeper", "more", "myself",
                     "my", "and", "but", "i", "im", "lately", "since", "after", "because",
                     "when", "every", "for", "last", "this", "all", "today", "yesterday",
                     "on", "with", "in"),
        unless_followed_by=("my hair", "hair", "the cake", "the grass", "carbs", "sugar",
                            "ties", "back on", "down", "costs", "class", "classes",
                            "corners", "the lawn", "out", "off", "my fringe", "the budget",
                            "calories", "the onions", "wood", "paper", "coupons", "fat",
                            "bread", "the bread", "fabric", "the fabric", "the ribbon",
                            "candles", "a candle", "the candle", "incense", "calories"),
    ),
    Rule(
        "blades",
        SELF_HARM,
        "Keeping or hiding razors or blades.",
        patterns=(
            "[hide|keep|stash|stock|carry|buy|need|took|take|get] .{0,3} [razor|blade|"
            "razorblade|blades] .{0,3} [to|for|in|under|so|where|away]",
            "[razor|blade] .{0,2} [hide|hidden|stash|under my|in my drawer]",
        ),
    ),
    # ----------------------------------------------------------------------- plan or means
    Rule(
        "method_self",
        PLAN_OR_MEANS,
        "A method applied to oneself: hang, shoot, drown, poison, suffocate, gas, "
        "electrocute, strangle or overdose myself.",
        patterns=(
            "[hang|shoot|drown|poison|suffocate|smother|stab|electrocute|strangle|gas|"
            "asphyxiate|overdose|od|starve|choke|set fire to|set] @REFL",
            "[slit|slash|cut|open] @ADV? [my|your|his|her] [wrist|throat|vein|neck]",
            "[blow|blew] [my|your|his|her] brains out",
            "[bullet|gun|pistol|knife|blade] [to|in|into|through|against] [my|your] "
            "[head|brain|temple|mouth|chest|heart|throat]",
            "pull the trigger",
            "[rope|belt|cord|cable|scarf|noose] [around|round] [my|your] neck",
            "%NOOSE",
            "set @REFL [on fire|alight|ablaze]",
        ),
        unless_followed_by=("in the foot", "out to dry", "up on", "in the back", "on a",
                            "off a", "with work", "with food", "with junk", "on the",
                            "the gap", "out of", "up for", "to sleep"),
    ),
    Rule(
        "overdose",
        PLAN_OR_MEANS,
        "Overdosing (not on chocolate or Netflix).",
        patterns=(
            "%OVERDOSE",
            "od on",
            "@GOING_TO @ADV? od",
        ),
        unless_followed_by=("on @FOOD", "on some @FOOD", "on the @FOOD", "on so much @FOOD",
                            "on too much @FOOD", "on it", "on this", "on that", "on these",
                            "on those", "on them", "on this show", "on the show",
                            "on this song", "on the series", "on %ING", "of @FOOD"),
    ),
    Rule(
        "pills_quantity",
        PLAN_OR_MEANS,
        "Taking a dangerous quantity of pills: too many, a whole bottle, 20 tablets, "
        "all my pills at once.",
        patterns=(
            "@TAKE @ADV? [too many|too much|a whole|the whole|an entire|the entire|a bottle of|"
            "a box of|a packet of|a pack of|a handful of|handfuls of|a fistful of|"
            "a month's|a months|a month of|a week's|a weeks|all the|all of the|"
            "all of my|dozens of|loads of|a load of|a bunch of|heaps of|all] .{0,3} @PILLS",
            "@TAKE @ADV? %BIG_NUMBER [of|my|the|those|these|his|her|mum|mom|dad|'s|sleeping|"
            "pain|anxiety|prescription|extra|more]{0,3} @PILLS",
            "@TAKE @ADV? [my|the|those|these|all my|all the|his|her] .{0,2} @PILLS "
            "[all at once|at once|in one go|all together|together|at the same time|"
            "in one sitting|with alcohol|with vodka|with wine|with booze|with drink]",
            "@TAKE @ADV? [them|it|everything] [all at once|at once|in one go|all together|"
            "at the same time]",
        ),
        unless_followed_by=("a day", "every", "each", "daily", "per day", "twice", "as",
                            "for my", "for the", "prescribed", "in the morning", "at night",
                            "with food", "with breakfast", "before bed"),
    ),
    Rule(
        "pills_all_end",
        PLAN_OR_MEANS,
        "'take all my pills' with nothing routine after it.",
        patterns=("@TAKE @ADV? all [of]? [my|the|those|these|his|her]? .{0,2} @PILLS",),
        followed_by=("$end", "tonight", "now", "today", "and", "so", "then", "to", "when",
                     "if", "i", "im", "lol", "after", "because", "cause"),
    ),
    Rule(
        "pills_stockpile",
        PLAN_OR_MEANS,
        "Saving up, stockpiling, hoarding pills; having pills counted out or enough to die.",
        patterns=(
            "[stockpile|hoard|stash|store|save|squirrel|collect|keep|hide|hid|hidden|gather] "
            "[up|away|aside]? .{0,3} @PILLS",
            "@PILLS .{0,2} [saved up|save up|stockpiled|stockpile|stashed|stash|hoarded|hoard|"
            "hidden|hide|lined up|laid out|counted out|ready|in front of me|in my hand|saved|"
            "put aside|set aside|squirrelled away|squirreled away|stored up|collected|tucked away]",
            "[count|line|lay|set|put] [out|up|aside]? .{0,2} @PILLS",
            "enough @PILLS",
            "@PILLS [to|2] [kill|end|die|overdose|od|do it|finish]",
            "enough [to kill|to end|to die|to overdose|to do it|to finish]",
            "how [many|much] .{0,4} @PILLS .{0,6} [die|kill|lethal|fatal|dead|overdose|od|end|"
            "deadly|not wake]",
            "how [many|much] .{0,6} [to die|to kill|to be lethal|to be fatal|to overdose|"
            "to od|would kill|would be lethal|would be fatal|is lethal|is fatal|is deadly]",
            "[lethal|fatal|deadly|toxic|killing|overdose] [dose|doses|amount|dosage|quantity|"
            "level|limit]",
            "[prescription|prescriptions] .{0,2} [save|stockpile|hoard|stash|store]",
        ),
        unless_followed_by=("every", "from the", "from my", "at the pharmacy", "for later",
                            "for my", "for the", "on my", "in the cupboard", "dry",
                            "in the fridge", "at", "a day", "cool", "safe", "locked",
                            "out of reach"),
    ),
    Rule(
        "jumping",
        PLAN_OR_MEANS,
        "Jumping from a height or in front of a vehicle; stepping into traffic; "
        "driving off or into something.",
        patterns=(
            "[jump|leap|throw @REFL|hurl @REFL|fling @REFL|step|walk|run|drive|crash|"
            "launch @REFL|fall|lie down|lay down|lie|lay|swerve|throw myself] @ADV? "
            "[off|from|in front of|out of|under|onto the|into|in] .{0,3} @HEIGHT",
            "[walk|wade|jump|drive|swim|throw @REFL] @ADV? [into|in] [the|a] [sea|ocean|river|"
            "lake|water|canal|loch|quarry] .{0,2} [and never|and not|and let|and drown|"
            "until|to drown|never|forever|$end]",
            "@GOING_TO @ADV? jump",
            "crash [my|the] car [on purpose|deliberately|intentionally|into]",
            "[drive|steer|swerve] [my|the]? car? [into|off|in front of] .{0,3} [tree|wall|"
            "bridge|cliff|river|oncoming|lorry|truck|traffic|barrier]",
        ),
        unless_followed_by=("into the pool", "in the pool", "on the trampoline", "at the",
                            "in the shower", "into the shower", "in bed", "into bed",
                            "at the chance", "at it", "to conclusions", "on board",
                            "on the bandwagon", "for joy", "ship", "on a call", "in and",
                            "in for", "into action", "on it", "through hoops", "the queue",
                            "the line", "ahead", "back", "up", "over"),
    ),
    Rule(
        "at_the_edge",
        PLAN_OR_MEANS,
        "Standing on a ledge, bridge or roof edge.",
        patterns=(
            "[edge|ledge|side|railing|top|rail] of [the|a|this|that] [roof|bridge|building|"
            "cliff|platform|balcony|tower|car park|carpark|multistorey|multi-storey|overpass]",
            "[stand|standing|sit|sitting|sat|stood|climb|climbed|perch|be|on] [on|at|over|onto|"
            "up on] [the|a|this] [ledge|railing|parapet]",
            "[stand|standing|stood|sit|sitting|sat|climb] [on|at|onto|up on] [the|a|this] "
            "[bridge|roof|rooftop|overpass|cliff edge|cliff|platform edge|balcony] "
            "[now|right now|and|thinking|looking|ready|about|$end]",
        ),
    ),
    Rule(
        "firearm",
        PLAN_OR_MEANS,
        "Getting or having a gun.",
        patterns=(
            "[buy|bought|get|got|purchase|own|have|load|find|grab|take|hold|pick up|"
            "borrow|order|keep] @ADV? [a|an|my|the|his|her|dad|dads|'s|loaded|new|own]{0,3} "
            "[gun|pistol|firearm|rifle|shotgun|revolver|handgun|glock]",
            "[loaded|my] [gun|pistol|rifle|shotgun|revolver|handgun]",
        ),
    ),
    Rule(
        "painless_way",
        PLAN_OR_MEANS,
        "Asking for or researching a way to die.",
        patterns=(
            "[painless|quick|quickest|easy|easiest|best|fastest|peaceful|simplest|surest|sure|"
            "effective|reliable|certain|least painful|most painless|most effective|good|"
            "gentlest|gentle|clean|cleanest] [way|ways|method|methods|means] [to|of|for] "
            "[die|dying|kill @REFL|killing @REFL|end it|end my life|suicide|overdose|"
            "commit|hang|go to sleep forever|not wake up|unalive|disappear forever]",
            "[painless|quick|quickest|easy|easiest|best|fastest|peaceful|simplest|surest|"
            "least painful|most painless|gentlest] [way|ways|method|methods] [to|of] go",
            "how [to|do i|can i|could i|would i|should i|do you|does one|do people|would one|"
            "does someone|to just] @ADV? [die|kill @REFL|end my life|end it all|overdose|"
            "od|hang @REFL|unalive|stop existing]",
            "[google|googled|search|searched|research|researching|look|looked|looking|read] "
            "@ADV? [up]? .{0,2} [way|ways|method|methods|how] [to|of] [die|dying|kill|end]",
            "[a|the|my] plan [to|for] @ADV? [die|kill|end it|end my life|end things|suicide|"
            "my death|killing|ending|going through with it]",
            "[pick|picked|choose|chosen|chose|set] [a|the|my] [date|day] [to|for] [die|do it|"
            "end it|go|kill]",
        ),
        followed_by=(),
        unless_followed_by=("to the", "to a", "to my", "to work", "to school", "to sleep",
                            "in minecraft", "in the game", "in a game", "in skyrim",
                            "out", "about", "in fortnite", "in game", "back", "on"),
    ),
    # --------------------------------------------------------------------------- burden
    Rule(
        "better_off_without_me",
        BURDEN,
        "Others would be better off / happier without me, or if I were gone or dead.",
        patterns=(
            "@BETTER off? @ADV? [without|w/o|wo|w/out|minus] me",
            "@BETTER off? .{0,4} if i @ADV? [be|was|were|'m|am|just|had|did|could]? @ADV? "
            "[die|dead|gone|disappear|vanish|kill myself|end it|never born|never existed|"
            "never be born|away forever|no longer here|no longer around|stop existing|"
            "not around|not here|not alive|not exist|never here|were to die|left forever|"
            "left for good|go away forever|gone forever]",
            "@BETTER off? .{0,4} [when|once|after] i @ADV? [be|'m|am|'s]? [gone|dead|die|go]",
            "[world|everyone|everybody|family|they|people|kids|children|partner|friends] "
            ".{0,3} [fine|okay|ok|alright|all right|better|happier] @ADV? [without me|"
            "if i was gone|if i were gone|when i am gone|when i'm gone|once i'm gone]",
            "[do|'d|would|will|'ll] [everyone|everybody|them|the world|my family|people] "
            "a favo[u]?r [by|if]",
            "[everyone|everybody|world|the world|people] .{0,3} [without me|w/o me]",
            "[do|did|doing] [everyone|everybody|the world|them|my family] a [favour|favor]",
        ),
        unless_followed_by=("at the", "in the", "on the", "for now", "for a while",
                            "for the weekend", "tonight", "this weekend", "today",
                            "for a bit", "for a few", "there", "around for",
                            "at work", "on this project", "on the team", "in the team",
                            "while i'm away", "while i am away", "on holiday"),
    ),
    Rule(
        "i_am_a_burden",
        BURDEN,
        "Being (only, just, such) a burden to others (not 'a burden when I ask for help').",
        patterns=(
            "[i|me|im] @ADV{0,2} [have|'ve]? @ADV? [be|feel|become|am|seem|was|turned into|"
            "just|always] @ADV? [like]? [just|only|such|nothing|but|a|an|the|huge|total|big|"
            "massive|constant|complete|heavy|financial|emotional|real|useless|literal|"
            "massive|giant|dead|pathetic|worthless]{0,4} burden",
            "[be|being|been] [a|such a|an|the|nothing but a|just a|only a] @ADV? burden "
            "[to|on|for] [everyone|everybody|my|the|people|others|them|all|anyone|you|"
            "those|him|her|the world|society]",
            "burden [to|on|for] [everyone|everybody|my family|the people|people|others|them|"
            "all|the world|my loved ones|my friends|my partner|my kids|society|anyone|"
            "those around me|the people around me|everyone around me|all of them|everyone i]",
            "[waste of|waste of a] [space|oxygen|air|life|skin|a life|breath|time and space]",
            "[i|im|me] @ADV? [be|feel]? @ADV? [worthless|a waste|useless|nothing but "
            "trouble|a mistake] [and|to everyone|to everybody|to the world]",
            "[won't|will not|wont|no longer|not] .{0,2} [have to|need to|got to] [deal with|"
            "worry about|put up with|look after|care for|take care of|bother with] me "
            "@ADV? [much longer|anymore|any more|any longer|for long|soon|for much longer]",
            "[will|'ll] not .{0,2} [have to|need to|got to] [deal with|worry about|put up with|"
            "look after|care for|take care of|bother with] me @ADV? [much longer|anymore|"
            "any more|any longer|for long|soon|for much longer]",
        ),
        unless_followed_by=("when", "whenever", "if", "sometimes", "at work", "at times",
                            "in meetings", "by asking", "for asking", "for needing",
                            "because i ask", "because i need", "with my questions",
                            "with questions", "of proof", "of care", "of expectations"),
    ),
    Rule(
        "nobody_would_miss_me",
        BURDEN,
        "Nobody would miss me, or notice or care if I died or disappeared.",
        patterns=(
            "@NOBODY [would|will|'d|'ll|wld|wud|even|really|actually|ever|gonna|go to]{0,3} "
            "@ADV{0,2} miss me",
            "@NOBODY [would|will|'d|'ll|wld|wud|even|really|actually|gonna|go to|do|does]{0,3} "
            "@ADV{0,2} [notice|care|mind|cry|grieve|mourn|realise|realize|know] .{0,2} "
            "[if|when|that|whether|once|after] i @ADV{0,2} [be|was|were|'m|just|had]? @ADV? "
            "[die|dead|gone|disappear|vanish|kill|end|not exist|not here|not around|"
            "not alive|never born|stop existing|left forever|never came back|go away|"
            "leave forever|were gone|was gone]",
            "@NOBODY [would|will|'d|'ll|even|really]{0,3} [come to|come|go to|attend|show up at|"
            "show up to|turn up to|cry at] my funeral",
            "[would|will|does|do] [anyone|anybody] @ADV? [even]? [notice|care|miss me] .{0,2} "
            "[if|when] i @ADV? [be|was|were|'m]? @ADV? [die|dead|gone|disappear|vanish|"
            "kill|not here|not around]",
            "@NOBODY [would|will]? @ADV? [care|notice] [if i|when i] .{0,2} [die|dead|gone|"
            "disappear]",
        ),
    ),
    # ---------------------------------------------------------------------------- goodbye
    Rule(
        "last_message",
        GOODBYE,
        "A last or final message, words or goodbye.",
        patterns=(
            "[this|these|it] @ADV? [be|will be|'ll be|'s|is]? @ADV? [my|the] [last|final] "
            "[message|msg|text|words|goodbye|note|letter|post|farewell|chat|time i talk|"
            "time i'll talk|time you hear|time you'll hear|time anyone|thing i]",
            "[my|a] [last|final] [goodbye|farewell|words|goodbyes]",
            "[last|final] [message|msg|text|words|goodbye] [ever|before i|from me]",
            "[last|final] [night|day|days|morning|hours|sunset|breath] [alive|on earth|"
            "on this earth|in this world|of my life]",
            "[goodbye|bye|farewell] [forever|for ever|for good|cruel world|world|to everyone|"
            "to everybody|everyone|everybody|all of you|to all of you|to the world|to this world|"
            "to life|my friends|my loved ones|to my loved ones]",
            "say @ADV? [my]? [goodbye|goodbyes|farewell|farewells] [to everyone|to everybody|"
            "to the world|to this world|to life|to you all|to all of you|to the people i love|"
            "to my loved ones|to everything|forever|for good|before i go|before i die|"
            "before i leave this|$end]",
            "[not|never|won't|will not|wont] [see|hear from|talk to|speak to] me @ADV? "
            "[again|anymore|any more|ever again|after tonight|after today]",
            "[last|final] time [you|you'll|you will|anyone|anybody|they|u] .{0,2} "
            "[hear|see|talk|speak|read]",
            "by the time [you|anyone|someone|somebody|they|u|people|my family|my] .{0,2} "
            "[read|see|get|find|receive] this",
            "when [you|they|people|my family|someone|anyone] [read|find|see|get] this .{0,2} "
            "[i|i'll|i will|i be|ill] .{0,2} [gone|dead|be gone|not be here|be dead]",
            "not .{0,3} be [here|around|alive] @ADV? [much longer|for much longer|for long|"
            "by morning|by tomorrow|after tonight|after today|to see|next week to|"
            "anymore|any more|any longer|no more|tomorrow to]",
            "not .{0,2} be alive",
            "[will|'ll|i'll|ill|gonna|go to] be gone [soon|forever|for good|by morning|"
            "by tomorrow|before|tonight|when you|by the time|$end]",
            "[will|'ll|i'll] be [dead|gone] [by|before|when]",
        ),
        unless_followed_by=("from the", "at the", "in the", "on the", "for the",
                            "week", "time we", "session", "appointment", "minute",
                            "for a", "for now", "to work", "to the office", "for work",
                            "for holiday", "on holiday", "on vacation", "of the series",
                            "of the season", "of school", "of term", "of the year",
                            "of the month", "of my holiday", "of my trip", "of term",
                            "in the office"),
    ),
    Rule(
        "farewell_letters",
        GOODBYE,
        "Letters or notes written or left for family or everyone.",
        patterns=(
            "[letters|notes|letter|note] [to|for] @ADV? [each|each of|everyone|everybody|all|"
            "all of|every one|the people i love|those i love|my loved ones|whoever finds|"
            "whoever|the people who|my family and|my kids and|my children and]",
            "[write|wrote|leave|left|finish|finished|writing|draft|drafted|prepare|prepared] "
            "@ADV? [letters|notes] [to|for] [my|each|everyone|everybody|all|the|them|those]",
            "[goodbye|farewell|final|last|suicide|parting] [letter|letters|note|notes|"
            "message|messages|video|videos|email|emails|post]",
            "[letter|letters|note|notes] .{0,3} [explain|explaining|saying goodbye|"
            "say goodbye|to find|to read after|for after|for when i|after i'm gone|"
            "after i die|in case|to be found|when i'm gone|after i go]",
        ),
        unless_followed_by=("of the", "of this", "from the", "in the exam", "for the exam",
                            "in class", "on the", "for class", "for school", "of the day",
                            "of the month", "for work", "on my", "in my diary",
                            "in the post", "for christmas", "for the holidays"),
    ),
    Rule(
        "affairs_in_order",
        GOODBYE,
        "Putting affairs in order or giving possessions away.",
        patterns=(
            "[put|putting|get|got|getting|sort|sorting|sorted|have|had|set|setting|finish] "
            "@ADV? [my|all my|all of my|everything|things] [affairs|things|stuff]? "
            "in order",
            "affairs in order",
            "[give|giving|gave|given|donate|donating|donated|hand|handing|handed] "
            "[away|out] .{0,2} [my|all my|all of my|most of my|everything|all my|all of "
            "the]? @ADV? [belonging|possession|thing|stuff|everything|pet|pets|cat|dog|"
            "things|belongings|possessions|treasure|treasures|prized|valuables|favourite|"
            "favorite|guitar|jewelry|jewellery|savings|money|collection]",
            "[find|found|finding|rehome|rehoming|rehomed] [a]? [new]? [home|homes|owner|"
            "owners] for my [cat|dog|pet|pets|cats|dogs|animals]",
            "[make|made|write|wrote|written|finish|finished|update|updated|sort|sorted] "
            "[my|a] will",
        ),
        unless_followed_by=("to charity", "to the charity", "to a charity", "to goodwill",
                            "before i move", "before we move", "because i am moving",
                            "because i'm moving", "since i'm moving", "because we're moving",
                            "for the move", "for moving", "to make space", "to make room",
                            "i don't need", "i no longer", "that i", "on marketplace",
                            "on facebook", "online", "for free", "at the", "to my sister's",
                            "to declutter", "while i", "and", "power"),
    ),
    # ------------------------------------------------------------------ danger from others
    Rule(
        "violence_against_me",
        DANGER_FROM_OTHERS,
        "Someone hitting, beating, choking, strangling or attacking me.",
        patterns=(
            "[@INTIMATE|@OTHER_PERSON] .{0,3} @PHYS me",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [push|shove|slam|throw|pin|drag] me "
            "[down|against|over|into the wall|into a wall|into the door|to the ground|"
            "to the floor|on the floor|onto the floor|on the ground|down the stairs|"
            "off the bed|across the room|out of the car|around|about|into the|into a]",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [burn|cut] me [with|on purpose]",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [pin|hold] me down",
            "[beat|beaten] [me]? up",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [try|tried|trying|want|wants] to [kill|strangle|"
            "choke|drown|suffocate|smother|stab|shoot|poison|run me over|murder] me",
        ),
        unless_followed_by=("up", "to it", "to the", "at", "in a game", "in the game",
                            "in games", "in chess", "in the race", "in a race", "in an argument",
                            "in the argument", "in the debate", "in a debate", "in the quiz",
                            "a coffee", "a drink", "a beer", "some", "lunch", "dinner",
                            "food", "a sandwich", "a snack", "a ticket", "one", "a seat",
                            "off", "out", "for", "a bone", "a curveball", "a curve ball",
                            "a party", "a surprise", "under the bus", "for a loop", "into",
                            "with his words", "with her words", "with their words",
                            "verbally", "emotionally", "in the back", "like a", "hard",
                            "that", "how", "when i realised", "when i realized", "right in the",
                            "the hardest", "with the news", "with a question", "with questions",
                            "with this", "with that", "with the", "with an idea",
                            "with a bill", "up with", "on the way", "on the road"),
        unless_preceded_by=("it", "this", "that", "what", "reality", "realisation",
                            "realization", "news", "thought", "wave", "feeling", "song",
                            "grief", "sadness", "anxiety"),
    ),
    Rule(
        "violence_against_me_passive",
        DANGER_FROM_OTHERS,
        "Being hit, beaten, choked or attacked by someone.",
        patterns=(
            "[be|get|been|got|being] @ADV? [hit|beat|beaten|punch|kick|slap|choke|strangle|"
            "attack|stab|batter|smack|shove|whip|throttle|headbutt|push|throw|burn|hurt|"
            "threaten|stalk|harass|blackmail|bully|assault|kidnap|trap|imprison] "
            "[by|at the hands of] [my|a|an|the|his|her|their|our|some|this]? "
            "[@INTIMATE|@OTHER_PERSON|him|her|them]",
            "[being|be|get|got|been] @ADV? [beaten|beat|battered|kicked|punched|choked|"
            "strangled|whipped|belted|slapped] [up|at home|as a child|as a kid|regularly|"
            "every|again|black and blue|badly|daily|$end]",
            "being @ADV? [hit|beaten|beat|choked|strangled|attacked|stalked|followed|"
            "threatened|harassed|blackmailed|held|hurt at home|controlled|trafficked|"
            "kidnapped|locked]",
            "[be|get|being|been] [stalk|follow|stalked]",
        ),
        unless_followed_by=("a car", "the car", "a ball", "the ball", "a bike", "a wave",
                            "traffic", "a door", "the door", "at chess", "at cards",
                            "by the news", "by a wave", "on the head by a", "by the ball",
                            "by my own", "by a bus", "for", "on instagram", "on twitter",
                            "on tiktok", "on social", "by lots of people on",
                            "by people on", "by strangers on", "back", "along", "up on",
                            "up with", "in a game", "in the game", "at the game",
                            "in the final", "in the semi", "by one point", "by a point",
                            "by a few"),
    ),
    Rule(
        "they_will_kill_me",
        DANGER_FROM_OTHERS,
        "Someone close saying, threatening or going to kill me.",
        patterns=("@INTIMATE .{0,3} [kill|murder] me",
                  "[threaten|threatened|threatening|swear|swore|promise|promised|say|said] "
                  ".{0,2} [kill|murder] me"),
        unless_followed_by=("with kindness", "with laughter", "lol", "haha", "with his jokes",
                            "with her jokes", "with their jokes"),
    ),
    Rule(
        "threats",
        DANGER_FROM_OTHERS,
        "Threats of violence, or someone threatening me.",
        patterns=(
            "threaten .{0,2} [to|2]? @ADV? [kill|hurt|harm|hit|beat|shoot|stab|burn|rape|"
            "kidnap|strangle|choke|attack|murder|take the kids|take my kids|take the children|"
            "take my children|take my son|take my daughter|take my baby|take the baby|"
            "send the pictures|send my pictures|send my nudes|post my nudes|share my nudes|"
            "leak my nudes|post my pictures|share my pictures|leak my pictures|leak|"
            "release|expose my|break my|break every|smash|destroy me|ruin me|get me|"
            "end me|come after me|find me|hunt me|make me pay|slit|cut|throw|drown|set fire|"
            "burn down|hurt himself|hurt herself|kill himself|kill herself|kill themselves|"
            "hurt themself|kill my|hurt my|harm my]",
            "threaten [me|us|my life|my family|my kids|my children|my safety|my son|"
            "my daughter|our lives|our safety]",
            "[death|violent|rape|physical|serious] [threat|threats]",
            "[make|making|made|send|sending|sent] [threats|threat] [to|against|at]",
            "@INTIMATE .{0,3} [will|'ll|would|'d|go to|gonna|about to|want to|wants to|"
            "threaten to|going to|try to|tried to|trying to|said he'd|said she'd|might|could|"
            "is going to] @ADV? [hurt|harm|rape|shoot|stab|strangle|choke|attack|beat|hit|"
            "punch|kick|slap|burn|drown|murder|do something to] [me|us|the kids|my kids|"
            "my children|the children|my son|my daughter|my baby|the baby|my family|"
            "my mum|my mom|my dad]",
            "[he|she|they|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mom|"
            "mother|brother|sister|stepdad] .{0,2} [be|keep|keeps|start|started] @ADV? "
            "hurting me",
            "[@INTIMATE|@OTHER_PERSON] hurts me",
            "[hurt|hurts|hurting|hurted] me [physically|badly|every day|every night|when he|"
            "when she|when they|again and again|all the time|really bad]",
            "physically [hurt|hurts|hurting|hurted|harm|harms|harmed|abuse|abused|abuses|"
            "abusing|attack|attacked|violent|assault|assaulted] .{0,1} [me|us|my]",
        ),
        unless_followed_by=("with a warning", "with eviction", "with legal", "with court",
                            "with a lawsuit", "with disciplinary", "with the sack",
                            "with a fine", "with detention", "with divorce", "with a bad",
                            "with homework", "with failing", "with my grades",
                            "with a low", "to leave", "to break", "to break up",
                            "to dump", "to quit", "to fire", "to report", "to tell",
                            "to stop talking", "to cancel", "by", "emotionally", "'s feelings",
                            "feelings", "with his words", "with her words", "with words",
                            "so much", "a lot", "deeply", "when he left", "when she left",
                            "when he cheated", "when she cheated", "by cheating",
                            "by ignoring", "by leaving", "by not", "by saying", "by lying",
                            "to leave me", "to end", "to move out", "to kick", "to take away"),
    ),
    Rule(
        "unsafe_at_home",
        DANGER_FROM_OTHERS,
        "Not safe at home or around someone; afraid to go home; afraid of a partner or "
        "parent; in danger; fearing for one's life.",
        patterns=(
            "not @ADV{0,2} [feel|be|ever feel]? @ADV? safe [at|in] [home|my home|my house|"
            "my own home|this house|our house|the house|my flat|my apartment|my room|"
            "my own house|here]",
            "not @ADV{0,2} [feel|be]? @ADV? safe [around|with|near|living with|from] "
            "[him|her|them|my|me]",
            "[i|i'm|me|we|im|kids|children] @ADV? [be|feel]? not @ADV? safe",
            "unsafe [at|in|around|with|near|living with] [home|my|him|her|them|this house|"
            "the house]",
            "[feel|be] unsafe @ADV? [$end|at home|around|with]",
            "[scared|afraid|terrified|frightened|petrified|fear|fearful|worried] @ADV? "
            "[to|of] [go|going|be|being|return|returning|stay|staying|get|getting] "
            "[back]? home",
            "[scared|afraid|terrified|frightened|petrified] @ADV? of [my|him|her|them] "
            "[@INTIMATE]?",
            "[scared|afraid|terrified|frightened|petrified|fear|worried] [of|about] what "
            "[he|she|they|my|him] .{0,2} [do|will do|'ll do|might do|would do|could do|"
            "go to do|gonna do]",
            "[fear|scared|afraid|terrified|frightened|worried] [for] [my|our|the kids'|"
            "my kids'|my children's|his|her] [life|lives|safety]",
            "[i|we|kids|children|family|life|son|daughter|baby|me] @ADV? [be|feel|am|'m|are] "
            "@ADV? in [danger|immediate danger|real danger|serious danger]",
            "in [immediate|real|serious|grave|mortal] danger",
            "[i|me|we|im] @ADV? [be]? @ADV? in danger",
            "[fear|scared|afraid] for my life",
            "[lock|locked|locks|locking|trap|trapped|traps] me [in|up|inside|in the|in my|"
            "in a|out of the house]",
            "not @ADV? [let|allow] me [leave|go out|go home|out|see my friends|see anyone|"
            "see my family|have my phone|have a phone|call|talk to anyone|go anywhere]",
            "[keep|kept|hold|held|holding] me [locked|trapped|prisoner|hostage|captive|"
            "against my will|in the house]",
            "[stalk|stalking|stalked|stalker|stalkers] [me|us|my]",
            "[a|my|have a|got a] stalker",
            "[follow|follows|followed|following] me [home|everywhere|around|to work|"
            "from work|to my car|to school|from school|at night|to my house|back home|"
            "down the street|after|and]",
            "[@INTIMATE|@OTHER_PERSON] .{0,2} [be|keep|keeps] @ADV? [following|stalking|"
            "harassing|threatening|attacking|hunting|blackmailing] me",
            "[harass|blackmail|extort|sextort|sextortion] [me|us|my]",
            "[@INTIMATE] .{0,2} [have|has|got|carry|carries|keep|keeps|pull|pulled|point|"
            "pointed|hold|held|wave|waved|grab|grabbed|bring|brought|take|took|threaten] "
            ".{0,2} [gun|knife|weapon|blade|bat|machete|hammer|axe]",
            "[gun|knife|weapon|blade] [to|at|against] [my|me] [head|throat|neck|chest|face|"
            "me|back]",
            "[pull|pulled|point|pointed|held|hold] [a|the|his|her] [gun|knife] on me",
            "[@INTIMATE] .{0,2} [be|get|become|turn|can be|gets|got] @ADV{0,2} [violent|"
            "aggressive and violent|physically violent|physical with me|physical]",
            "[domestic|family|intimate partner|partner|home] [violence|abuse|abuser]",
            "violent [partner|husband|wife|boyfriend|girlfriend|dad|father|mum|mom|mother|"
            "home|household|relationship|ex|stepdad|stepfather|brother|sister|parent|parents]",
            "violence at home",
            "[ran|run|running|escape|escaped|escaping|fled|flee|fleeing] [away]? from "
            "[him|her|my @INTIMATE|home] .{0,3} [hurt|hit|beat|kill|violent|abuse|abusive]",
            "[hide|hiding|hid] from [him|her|my @INTIMATE]",
        ),
        unless_followed_by=("%ING", "'s", "not", "leave", "leaving", "finding", "find out",
                            "reaction", "think", "thinking", "say", "saying", "judge",
                            "judging", "left", "emotionally", "to open", "to share",
                            "to be vulnerable", "to talk", "to cry", "to say", "to tell",
                            "opening up", "being vulnerable", "expressing", "telling",
                            "talking about", "about", "and i", "to express", "in relationships",
                            "in a relationship", "in love", "with my feelings",
                            "of abandonment", "on instagram", "on twitter", "on tiktok",
                            "on social media", "online", "'s instagram", "'s profile",
                            "profile", "on facebook", "on linkedin", "up", "for",
                            "is", "might", "will think", "would think", "will say",
                            "would say", "will leave", "would leave", "might leave", "'ll leave",
                            "'ll think", "'ll say", "with", "of", "more"),
    ),
    # ------------------------------------------------------------------------------ abuse
    Rule(
        "abuse_word",
        ABUSE,
        "Abuse, abused, abusive, abuser (not substance or alcohol abuse).",
        patterns=("%ABUSE",),
        unless_preceded_by=("substance", "drug", "alcohol", "drinking", "steroid", "opioid",
                            "opiate", "cocaine", "heroin", "meth", "prescription", "solvent",
                            "inhalant", "pill", "painkiller", "cannabis", "weed", "benzo",
                            "ketamine", "spice", "laxative", "caffeine", "sugar", "verbal",
                            "word", "privilege", "system", "power", "policy"),
        unless_followed_by=("alcohol", "drugs", "drug", "substances", "substance", "drink",
                            "drinks", "drinking", "pills", "painkillers", "cannabis", "weed",
                            "of alcohol", "of drugs", "of substances", "of painkillers",
                            "of pills", "of power", "of privilege", "of the system",
                            "of process", "my privileges", "the system", "their power",
                            "his power", "her power", "caffeine", "sugar", "laxatives",
                            "ketamine", "cocaine", "heroin", "prescription", "opioids",
                            "my body with", "treatment", "counselling", "counseling",
                            "services", "program", "programme", "rehab", "recovery"),
    ),
    Rule(
        "sexual_violence",
        ABUSE,
        "Rape, sexual assault, molestation, groping, incest, sexual coercion.",
        patterns=(
            "%RAPE",
            "%MOLEST",
            "%GROPE",
            "%INCEST",
            "[sexually|sexual] [assault|assaulted|abuse|abused|harass|harassed|harassment|"
            "violence|violated|exploit|exploited|exploitation|coerce|coerced|coercion|touch|"
            "touched|attack|attacked|hurt]",
            "[assault|attack] me",
            "[be|get|been|got|being] @ADV? [assault|assaulted]",
            "assault [by|at|as|when|last|in]",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} touch me",
            "touch me [inappropriately|down there|sexually|without|in places|where|under|"
            "at night|when i|while i|in my sleep|in private]",
            "touch [inappropriately|sexually]",
            "touched as a [child|kid|little girl|little boy|teenager|teen]",
            "[force|make|pressure|coerce|forced|made] me [into]? [have sex|having sex|sex|"
            "sleep with|do sexual|do stuff|do things i|do things to|touch him|touch her|"
            "touch his|touch her|perform|send nudes|send naked|send pictures|send photos|"
            "watch porn|take my clothes off|undress|get naked|give him|give her]",
            "force [himself|herself|themselves|themself] [on|onto] me",
            "[sex|sexual|touch|sleep with me|have sex with me|slept with me|had sex with me] "
            ".{0,4} [without my consent|without consent|when i said no|after i said no|"
            "even though i said no|although i said no|while i was asleep|while i was "
            "unconscious|when i was asleep|when i was passed out|while i was passed out|"
            "when i was unconscious|when i was too drunk|while i was drunk|when i was drunk|"
            "when i was a child|when i was a kid|when i was little|when i was young]",
            "[not|never] consent",
            "groom [me|her|him|my]",
            "[be|being|been|was|were|get|got] groom",
            "[nudes|naked pictures|naked photos|intimate pictures|intimate photos|"
            "intimate images|my pictures|my photos] .{0,3} [threaten|share|leak|post|"
            "send|blackmail]",
            "[child|children|kid|kids] [abuse|neglect|endangerment|porn|pornography|"
            "exploitation|sexual abuse|trafficking]",
            "csam",
            "[date|statutory|marital] rape",
        ),
        unless_followed_by=("seed", "seeds", "oil", "rifle", "rifles", "weapon", "weapons",
                            "course", "on my senses", "on the senses", "to the cookies",
                            "to tracking", "to cookies", "to the terms", "to being recorded",
                            "to the recording", "to recording", "to terms", "to data",
                            "to the data", "to the use", "to marketing", "to the update",
                            "to the changes", "to email", "to emails", "to the policy",
                            "to tests", "to the test", "to surgery", "to treatment",
                            "to the treatment", "to the procedure", "to photos on",
                            "anymore", "any more", "lovingly", "gently", "affectionately",
                            "like he used to", "like she used to", "the way", "enough",
                            "on the arm", "on the shoulder", "on the back", "to",
                            "the dog", "the cat", "the horse", "my dog", "my cat", "the pet",
                            "my pony", "the pony", "the hedge", "the garden", "my beard",
                            "his beard", "her hair", "my hair", "the lawn", "my eyebrows",
                            "my nails", "my dog's", "the puppy"),
        unless_preceded_by=("never", "not", "barely", "rarely", "hardly", "stop", "stopped",
                            "won't", "wont", "doesn't", "didn't", "don't", "dont", "cant",
                            "can't", "no longer", "even", "gently", "softly", "lovingly",
                            "affectionately", "pet", "dog", "cat", "horse", "pony",
                            "the"),
    ),
    Rule(
        "child_being_hurt",
        ABUSE,
        "Someone hitting, hurting, touching or abusing a child.",
        patterns=(
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [hit|beat|punch|kick|slap|choke|strangle|"
            "smack|shove|throttle|bruise|attack|stab|burn|hurt|touch|molest|abuse|rape|whip|"
            "batter|throw|starve|lock|hurting|shake|shook|drown] [my|our|the|his|her|their|a|"
            "this|that|these|those] @ADV? [little|baby|young|youngest|eldest|oldest|"
            "3|4|5|6|7|8|9|10|11|12|13|14|15|16]? [year|yr|month]? [old]? @CHILD",
            "@CHILD .{0,3} [be|get|being|been] @ADV? [abuse|molest|rape|touch|beat|beaten|"
            "hit|hurt by|hurt at home|attack|assault|burn|lock|starve|whip|choke|strangle|"
            "shake|shook|groom|neglect|traffick]",
            "[hit|beat|hurt|touch|abuse|molest|rape|whip|choke|shake|starve] [the|my|our] "
            "[kid|kids|child|children|baby|son|daughter] [when|every|at night|and|too|$end]",
            "[child|kid|baby|toddler] [be]? [in danger|at risk|not safe|unsafe]",
        ),
        unless_followed_by=("'s feelings", "'s feeling", "feelings", "by", "emotionally",
                            "'s heart", "'s hair", "'s face gently", "'s pride", "pride",
                            "at football", "at soccer", "playing", "in the playground",
                            "at the playground", "at school during", "during practice",
                            "during the game", "at practice", "at training", "in a game",
                            "in the game", "at the park", "on the bike", "on the trampoline",
                            "on the swing", "falling", "off the", "'s ball", "with a ball",
                            "with the ball", "'s toy", "toys", "back", "'s birthday",
                            "gently", "lightly", "on the head gently", "goodnight",
                            "good night", "hello", "to say", "'s nose", "'s hand",
                            "'s cheek", "'s shoulder", "'s arm to", "'s bed", "'s room",
                            "'s stuff", "'s things"),
    ),
)

#: Benign figures of speech: a crisis match that overlaps one of these does not fire.
BENIGN_IDIOMS: Tuple[Rule, ...] = (
    Rule(
        "killing_me",
        BENIGN,
        "'X is killing me', 'you're killing me', 'killing it/time', 'kill for a coffee'.",
        patterns=(
            "killing me",
            "[be|keep|start|start|'s|'re] killing",
            "[kill|killing] [it|time|the vibe|the mood|the game]",
            "[could|would|'d|will|'ll|might] @ADV? kill for",
            "killed it",
            "[joke|jokes|that|this|you|it|comedian|show|episode|line|punchline|meme|video|"
            "story|lol|haha|he|she|they] @ADV? [killed|kills] [me|it|$end]",
            "kill me [now|already]? [lol|lmao|haha|😂|🙃|😅]",
            "dressed to kill",
            "killer [workout|heels|outfit|view|app|feature|deal|smile|track|song|joke|"
            "performance|combo|game|move|instinct]",
            "[time|time to] kill",
            "[my|our|the] [mum|mom|mother|dad|father|parents|boss|teacher|wife|husband|"
            "partner] @ADV? [would|will|'ll|'d|go to|gonna|is gonna|is going to] @ADV? "
            "kill me [if i don't|if i dont|if i'm late|if i am late|for|when she sees|"
            "when he sees|when they see] [my grades|my results|the mess|this|the bill|"
            "the credit card|my room|late]",
        ),
    ),
    Rule(
        "dying_to",
        BENIGN,
        "'dying to know', 'dying for a coffee', 'to die for', 'die laughing'.",
        patterns=(
            "dying [to|for|of|2]",
            "to die for",
            "[die|dying|died|dead|death] @ADV? [laughing|laughter|of laughter|from laughter|"
            "of embarrassment|of cringe|of shame|of boredom|of cuteness|of happiness|"
            "of excitement|of curiosity|of suspense|of anticipation|of heat|of envy|"
            "of jealousy|of thirst|of hunger|of fright|of old age|of natural causes]",
            "[die|dying|died|dead] [of|from] @ADV? [@BENIGN_CAUSE]",
            "[nearly|almost|practically|literally|basically|about to] [died|die|dying|dead] "
            "[laughing|of laughter|from laughter|when|at|because|lol|lmao|haha]",
            "[bored|scared|worried|frightened|tickled] to death",
            "[die|dye|dyed|dying] [my|her|his|their|the] hair",
            "die hard",
            "diehard",
            "do or die",
            "never say die",
            "[could|would|'d|will|'ll|might] @ADV? die [for|of|from] [you|him|her|them|my|a|"
            "some|this|that|embarrassment]",
        ),
    ),
    Rule(
        "dead_as_intensifier",
        BENIGN,
        "'dead tired', 'dead serious', 'over my dead body', 'drop dead gorgeous', "
        "'dead phone'.",
        patterns=(
            "dead [tired|serious|set|certain|sure|wrong|right|on|beat|asleep|end|last|centre|"
            "center|ringer|heat|silent|quiet|easy|simple|honest|broke|cute|funny|boring|"
            "exhausted|weight|air|zone|line|lines|battery|phone|giveaway|stop|still|straight|"
            "ahead|lucky|good|bad|slow|fast|keen]",
            "over my dead body",
            "drop dead [gorgeous|beautiful|handsome]",
            "[phone|battery|laptop|car|plant|plants|houseplant|wifi|internet|conversation|"
            "party|town|chat|group chat|bar|club|thread] @ADV? [be|is|'s|was|went|just died|died] "
            "@ADV? dead",
            "[phone|battery|laptop|car|plant|plants|wifi|internet|conversation] .{0,2} die",
            "i [be|'m|m|am] @ADV? dead [lol|lmao|haha|😂|💀|$end]",
            "deadline",
            "dead inside lol",
        ),
    ),
    Rule(
        "suicide_idiom",
        BENIGN,
        "'career suicide', 'Suicide Squad', 'suicide sprints'.",
        patterns=(
            "[career|political|social|professional|financial|commercial|electoral|brand|"
            "fashion|academic] %SUICIDE",
            "%SUICIDE [squad|doors|door|sprint|sprints|run|runs|drill|drills|lane|blonde|"
            "king|mission|shift|burpees|bomber|bombers|bombing|bombings|attack|attacks]",
        ),
    ),
    Rule(
        "self_idioms",
        BENIGN,
        "'shoot myself in the foot', 'beat myself up', 'cut myself some slack', "
        "'burned myself out', 'kick myself'.",
        patterns=(
            "[shoot|shot|shooting] @REFL in the foot",
            "[beat|beating|beats] @REFL up",
            "[cut|cutting] @REFL [some|a|off|short|loose|free] [slack|break|off|short|loose|"
            "free|from|out|slice|piece]?",
            "[burn|burned|burnt|burning] @REFL out",
            "[kick|kicking|kicked] @REFL",
            "[hang|hung|hanging] @REFL out to dry",
            "[stab|stabbed|stabbing] [me|him|her|them|you] in the back",
            "[work|worked|working|worry|worried|worrying|stress|stressed|exercise|drink|"
            "drank|eat|ate|bore|bored|laugh|laughed] @REFL [to death|sick|silly|stupid]",
            "[push|pushing|pushed] @REFL [too hard|hard|to]",
            "[hurt|hurting] @REFL [laughing|from laughing]",
        ),
    ),
    Rule(
        "hit_idioms",
        BENIGN,
        "'hit me up', 'beat me to it', 'beat me at chess', 'threw me off', 'kicked me out'.",
        patterns=(
            "hit me up",
            "[hit|hits|hitting] me [with your|with the|with a question|with some|like a|"
            "hard that|that|when|how|all at once|in the feels|right in the]",
            "beat me [to it|to the|at|in a|in the|in an|fair and square]",
            "[throw|threw|thrown|throws] me [off|a|for a loop|under the bus|a curveball]",
            "[kick|kicked|kicks|kicking] me [out|off]",
            "[grab|grabbed] me [a|an|some|coffee|lunch|food|one|the]",
            "[push|pushes|pushed|pushing] me [away|to|forward|out of my comfort zone|"
            "to be|to do|to try|towards|toward]",
            "[smother|smothers|smothered|smothering|suffocate|suffocates|suffocated|"
            "suffocating] me",
            "[emotionally|verbally] @ADV? [safe|unsafe|attacked|attack]",
            "[water|nerf|glue|toy|paintball|airsoft|staple|nail|heat|spray|massage|squirt|bb|"
            "cap|laser|foam|starting|radar|speed|hot glue|tattoo|caulk|caulking|grease|"
            "soldering|bubble|confetti] gun",
            "[jump|jumped|jumping] the gun",
            "pull the trigger on",
            "[top|topped] myself up",
        ),
    ),
)

# --------------------------------------------------------------------------------------
# Fixed expressions and slang for the PhraseMatcher (matched on LOWER).
# --------------------------------------------------------------------------------------

PHRASES: Dict[str, Tuple[str, ...]] = {
    "fixed_suicidal_ideation": (
        "want to die", "wanna die", "wish i was dead", "wish i were dead",
        "end it all", "ending it all", "better off dead", "no reason to live",
        "nothing to live for", "not worth living", "take my own life", "end my life",
        "ending my life", "kill myself", "killing myself", "kms", "unalive", "unalive myself",
        "commit suicide", "commiting suicide", "committing suicide", "suicidal",
        "ctb", "catch the bus", "go to sleep forever", "rope myself", "sewer slide",
        "self delete", "self-delete",
    ),
    "fixed_goodbye": (
        "this is my last message", "goodbye cruel world", "by the time you read this",
        "affairs in order", "my final goodbye", "my last goodbye",
    ),
    "fixed_danger": (
        "domestic violence", "domestic abuse", "not safe at home", "fear for my life",
    ),
    "fixed_abuse": ("sexual assault", "sexually assaulted", "sexually abused"),
}

_PHRASE_CATEGORY = {
    "fixed_suicidal_ideation": SUICIDAL_IDEATION,
    "fixed_goodbye": GOODBYE,
    "fixed_danger": DANGER_FROM_OTHERS,
    "fixed_abuse": ABUSE,
}

_FIXED_RULES: Tuple[Rule, ...] = tuple(
    Rule(name, _PHRASE_CATEGORY[name], "Fixed expressions (PhraseMatcher).", phrases=phrases)
    for name, phrases in PHRASES.items()
)

#: Benign fixed expressions (PhraseMatcher); they suppress overlapping matches too.
BENIGN_PHRASES: Tuple[str, ...] = (
    "dead tired", "to die for", "over my dead body", "killing time", "killed it",
    "killing it", "dying to know", "died laughing", "dying laughing", "die laughing",
    "kmsl", "killing me softly", "suicide squad", "career suicide", "shot myself in the foot",
    "shoot myself in the foot", "beat myself up", "beating myself up", "drop dead gorgeous",
    "deadline", "dead serious", "cut myself some slack", "cut myself off",
    "cutting myself off", "burned myself out", "burnt myself out", "hit me up",
)

_BENIGN_FIXED = Rule("fixed_benign", BENIGN, "Fixed benign idioms.", phrases=BENIGN_PHRASES)

ALL_RULES: Tuple[Rule, ...] = RULES + _FIXED_RULES + BENIGN_IDIOMS + (_BENIGN_FIXED,)


@lru_cache(maxsize=1)
def _known_forms() -> Dict[str, str]:
    """``WORD_FORMS`` plus every literal word a rule uses (kept as typed)."""
    known = dict(WORD_FORMS)
    texts: List[str] = []
    for rule in ALL_RULES:
        texts.extend(rule.patterns)
        texts.extend(rule.unless_followed_by)
        texts.extend(rule.unless_preceded_by)
        texts.extend(rule.followed_by)
    texts.extend(MACROS.values())
    for text in texts:
        for spec in re.split(r"[\s\[\]|]+", text):
            word = _QUANTIFIER.match(spec).group("body") if spec else ""
            if not word or word[0] in "@%#.$":
                continue
            word = word.translate(_APOSTROPHES).lower()
            for piece in word.split(_ALT):
                if piece and piece not in known:
                    known[piece] = piece
    return known


def vocabulary() -> FrozenSet[str]:
    """Every normalised word the rules can match (for tests and documentation)."""
    return frozenset(_known_forms().values())


# --------------------------------------------------------------------------------------
# Detector
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisMatch:
    """Why a text was flagged: the rule, its category and where it matched."""

    rule: str
    category: str
    start_char: int
    end_char: int

    def as_dict(self) -> Dict[str, object]:
        """A JSON-friendly summary (no user text)."""
        return {"rule": self.rule, "category": self.category}


_CATEGORY_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    unless_followed_by: Tuple[List[Optional[TokenTest]], ...]
    unless_preceded_by: Tuple[List[Optional[TokenTest]], ...]
    followed_by: Tuple[List[Optional[TokenTest]], ...]


class CrisisDetector:
    """Finds crisis disclosures in spaCy docs with curated rules.

    Construct it once per spaCy ``Language`` (compiling the rules takes a few hundred
    milliseconds) and reuse it; ``detect`` is cheap and thread-safe for reading.

    Args:
        nlp: The ``Language`` whose vocabulary and tokenizer the rules are compiled with:
            ``spacy.load("en_core_web_sm")`` or a blank ``spacy.blank("en")`` (the rules
            do not need a tagger). Docs given to ``detect`` must come from a pipeline
            with the same tokenizer rules (any English spaCy pipeline).
    """

    def __init__(self, nlp: "Language") -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        ensure_token_extension()
        self._nlp = nlp
        self._matcher = Matcher(nlp.vocab, validate=True)
        self._phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._rules: Dict[int, _Compiled] = {}
        for rule in ALL_RULES:
            key = nlp.vocab.strings.add(f"secure_base_crisis:{rule.name}")
            if key in self._rules:
                raise ValueError(f"duplicate rule name {rule.name}")
            self._rules[key] = _Compiled(
                rule,
                tuple(seq for c in rule.unless_followed_by for seq in compile_context(c)),
                tuple(seq for c in rule.unless_preceded_by for seq in compile_context(c)),
                tuple(seq for c in rule.followed_by for seq in compile_context(c)),
            )
            token_patterns = [p for pattern in rule.patterns for p in compile_pattern(pattern)]
            if token_patterns:
                self._matcher.add(key, token_patterns)
            if rule.phrases:
                variants = sorted(
                    {v for phrase in rule.phrases for v in (phrase, phrase.replace("'", "\u2019"))}
                )
                self._phrase_matcher.add(key, [nlp.make_doc(v) for v in variants])

    @classmethod
    def from_nlp(cls, nlp: "Language") -> "CrisisDetector":
        """A detector for ``nlp`` (same as the constructor)."""
        return cls(nlp)

    @classmethod
    def blank(cls, vocab: Optional["Vocab"] = None) -> "CrisisDetector":
        """A detector on a blank English tokenizer: loads no model, downloads nothing.

        Args:
            vocab: Share this vocabulary (e.g. the one of the docs it will see).
        """
        import spacy

        nlp = spacy.blank("en", vocab=vocab) if vocab is not None else spacy.blank("en")
        return cls(nlp)

    @property
    def nlp(self) -> "Language":
        """The ``Language`` the rules were compiled with."""
        return self._nlp

    def detect(self, doc: "Doc") -> Optional[CrisisMatch]:
        """The most urgent crisis match in ``doc``, or ``None``."""
        matches = self.detect_all(doc)
        return matches[0] if matches else None

    def detect_text(self, text: str) -> Optional[CrisisMatch]:
        """Runs the detector's pipeline on ``text`` and detects (``None`` for no text)."""
        if not text or not text.strip():
            return None
        return self.detect(self._nlp(text))

    def detect_all(self, doc: "Doc") -> List[CrisisMatch]:
        """Every crisis match that survives the exclusions, most urgent first."""
        if len(doc) == 0:
            return []
        raw = list(self._matcher(doc)) + list(self._phrase_matcher(doc))
        benign: List[Tuple[int, int]] = []
        candidates: List[Tuple[_Compiled, int, int]] = []
        for key, start, end in raw:
            compiled = self._rules[key]
            if compiled.rule.category == BENIGN:
                benign.append((start, end))
            else:
                candidates.append((compiled, start, end))
        found: Dict[Tuple[str, int, int], CrisisMatch] = {}
        for compiled, start, end in candidates:
            if any(start < b_end and b_start < end for b_start, b_end in benign):
                continue
            if not self._context_allows(compiled, doc, start, end):
                continue
            span = doc[start:end]
            found[(compiled.rule.name, start, end)] = CrisisMatch(
                compiled.rule.name, compiled.rule.category, span.start_char, span.end_char
            )
        return sorted(
            found.values(),
            key=lambda m: (_CATEGORY_RANK.get(m.category, 99), m.start_char, m.rule),
        )

    @staticmethod
    def _context_allows(compiled: _Compiled, doc: "Doc", start: int, end: int) -> bool:
        for tests in compiled.unless_followed_by:
            if _sequence_at(doc, end, tests, 1):
                return False
        for tests in compiled.unless_preceded_by:
            if _sequence_at(doc, start - 1, tests, -1):
                return False
        if compiled.followed_by:
            return any(_sequence_at(doc, end, tests, 1) for tests in compiled.followed_by)
        return True
