"""Deterministic crisis detection: curated spaCy rules and their benign exclusions.

This is the second, rule-based layer of Secure Base's crisis safety net (the first is the
intent classifier's ``crisis`` intent). It has to recognise, every time, a person who says
they want to die, are hurting themselves, have a plan or the means, feel like a burden,
are saying goodbye, are in danger from someone else, or are being abused; and it must stay
quiet on ordinary figures of speech ("this homework is killing me", "I'm dying to know").

How matching works
------------------
* Rules (``RULES``) are written in a small pattern language (see the "Pattern language"
  section and ``compile_pattern``) and compiled into ``spacy.matcher.Matcher`` token
  patterns on ``NORM`` and ``LOWER``; fixed expressions go into a
  ``spacy.matcher.PhraseMatcher`` on ``LOWER``.
* Word tokens match on a normalised form (``normalise``): the token's spaCy lemma,
  lower-cased, overridden by the curated table ``WORD_FORMS`` (inflections, the pieces
  spaCy splits contractions into - "ca n't", "wo nt", "gon na" - slang, misspellings).
  Every word a rule uses is in that table or is matched as typed, so results do not
  depend on the tagger: the detector behaves the same on Rasa's lower-cased, parser-less
  ``SpacyNLP`` docs, on ``spacy.load("en_core_web_sm")`` docs in their original casing
  (upper-case contractions such as "DON'T" are split as in lower case), and on a blank
  tokenizer-only pipeline (the safety net's fallback), which has no lemmas at all. The
  normalised form is written to ``NORM`` on a copy of the doc (``normalised_copy``), so
  the ``Matcher`` compares hashes in C and the caller's doc is never modified.
* Gaps (``.``) never cross punctuation, so "man, this hits me" is not "man ... hits me".
* A match is dropped when it overlaps a benign idiom (``BENIGN_IDIOMS``,
  ``BENIGN_PHRASES``: "killing me", "dying to", "die of embarrassment", "dead tired",
  "shoot myself in the foot", "cut myself some slack", ...) or when the rule's own
  context says it is something else (``unless_followed_by`` etc.: "cut myself shaving",
  "overdosed on chocolate", "I don't want to live with my parents"). Benign idioms are
  kept narrow so that they can never cover a real disclosure ("I'd be better off dead
  right now" must not be excused as "dead right").

Design stance
-------------
Missing a person in crisis is far worse than an unnecessary check-in, so ambiguous but
plausible disclosures fire on purpose. There is no negation handling: "I'd never kill
myself" still fires, because people in crisis often phrase it that way. Known, accepted
over-triggers are listed in ``tests/test_crisis_patterns.py`` (``DELIBERATE_OVER_TRIGGERS``:
e.g. "my mum would kill me if she knew", "I'd rather die than sing karaoke", any mention
of suicide).

Nothing here loads a model or touches the disk; rules are compiled when a
``CrisisDetector`` is constructed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
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

# --------------------------------------------------------------------------------------
# Curated word forms: "base: form form ..." - every form normalises to base.
# Inflections, spaCy's contraction pieces, slang and misspellings. Words used by a rule
# must appear here (as a base or a form) or be spelt in the rule exactly as users type
# them; ``tests/test_crisis_patterns.py`` checks that.
# --------------------------------------------------------------------------------------

_WORD_FORMS_TABLE = """
be: am is are was were been being 'm m 're re b bein
have: has had having 've ve hav
do: does did doing done
not: n't nt dont dnt doesnt didnt dosnt dosent
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


def _lower(token: Token) -> str:
    return token.lower_.translate(_APOSTROPHES)


def normalise(token: Token) -> str:
    """The form a word pattern is compared with (written to ``NORM`` for matching).

    The curated table wins; words a rule spells literally are kept as typed; otherwise
    the token's spaCy lemma (lower-cased) for content words, or its lower-cased text.
    """
    low = _lower(token)
    known = _known_forms()
    if low in known:
        return known[low]
    lemma = token.lemma_.translate(_APOSTROPHES).lower()
    if not lemma:  # no lemmatizer (blank pipeline): strip a regular inflection
        return _strip_inflection(low, known)
    if token.pos_ in _LITERAL_POS:
        return low
    return lemma


_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ying", "ie"), ("es", ""), ("s", ""), ("ed", ""),
             ("ed", "e"), ("ing", ""), ("ing", "e"), ("d", ""))


def _strip_inflection(word: str, known: Dict[str, str]) -> str:
    """``word`` without a regular English ending, if that gives a word the rules use.

    Only used when there is no lemma; it maps onto rule vocabulary only ("sounds" ->
    "sound", "bleeds" -> "bleed", "stopped" -> "stop"), so it cannot invent matches.
    """
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)] + replacement
            if stem in known:
                return known[stem]
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in known:  # stopped
                return known[stem[:-1]]
    return word


@lru_cache(maxsize=1)
def _contractions() -> Dict[str, Tuple[str, ...]]:
    """English tokenizer exceptions that split one word into several ("don't")."""
    from spacy.lang.en import English
    from spacy.symbols import ORTH

    split: Dict[str, Tuple[str, ...]] = {}
    for text, pieces in English.Defaults.tokenizer_exceptions.items():
        orths = tuple(piece[ORTH] for piece in pieces)
        key = text.translate(_APOSTROPHES).lower()
        if len(orths) > 1 and "".join(orths).translate(_APOSTROPHES).lower() == key:
            split.setdefault(key, orths)
    return split


def _normalise_piece(piece: str) -> str:
    low = piece.translate(_APOSTROPHES).lower()
    known = _known_forms()
    return known.get(low) or _strip_inflection(low, known)


def normalised_copy(doc: Doc) -> Doc:
    """A copy of ``doc``'s tokens whose ``NORM`` is ``normalise(token)``.

    The rules match on ``NORM`` so that spaCy compares string hashes in C. The copy has
    the same text and character offsets; the caller's doc is not modified. Contractions
    spaCy leaves whole in upper case ("DON'T", "I'M", "CANT") are split as they would
    be in lower case, so shouting does not change what matches.
    """
    from spacy.tokens import Doc

    contractions = _contractions()
    words: List[str] = []
    spaces: List[bool] = []
    norms: List[str] = []
    for token in doc:
        pieces = contractions.get(_lower(token)) if len(token.text) > 1 else None
        if pieces:
            offset = 0
            for index, piece in enumerate(pieces):
                words.append(token.text[offset : offset + len(piece)])
                offset += len(piece)
                spaces.append(bool(token.whitespace_) if index == len(pieces) - 1 else False)
                norms.append(_normalise_piece(piece))
        else:
            words.append(token.text)
            spaces.append(bool(token.whitespace_))
            norms.append(normalise(token))
    copy = Doc(doc.vocab, words=words, spaces=spaces)
    for target, norm in zip(copy, norms, strict=False):
        target.norm_ = norm
    return copy


# --------------------------------------------------------------------------------------
# Pattern language
# --------------------------------------------------------------------------------------
# A pattern is a whitespace-separated sequence of token specs:
#   word | a|b|c      a token whose normalised form (``NORM`` on the copy) is one of these
#   =word | =a|b      a token whose lower-cased text is exactly one of these (for
#                     participles: "=beaten" must not match "beating")
#   @NAME             a macro from MACROS, pasted in as text before parsing
#   %NAME             a token whose lower-cased text fully matches REGEXES[NAME]
#   #num              a token that looks like a number
#   .                 any token that is not punctuation (gaps never cross punctuation)
#   $end              (last spec only) the end of the text, or a token that is not a word
#   [x y|z]           a group of alternative token sequences; [..]? makes it optional
# Any single-token spec, and a group of single words, may end in ? * + or {m,n}.
# Context specs (unless_followed_by, unless_preceded_by, followed_by) use the same
# words, groups, macros, %regex, #num and $end, without quantifiers.

MACROS: Dict[str, str] = {
    # Filler adverbs that can sit inside a phrase without changing what it says.
    "ADV": (
        "just|really|honestly|seriously|literally|actually|truly|so|kinda|sometimes|"
        "often|always|still|even|genuinely|badly|totally|completely|simply|already|"
        "probably|definitely|lowkey|legit|rly|realy|fr|tbh|lately|constantly|secretly|"
        "desperately|kind|sort|of|almost|also|deeply|pretty|very|quite|sorta|rn|now|"
        "sooo|soo|soooo|highkey|sincerely|somehow|finally|gladly|low-key|srsly"
    ),
    "TO": "to|too|t",
    "NOT": "[not|no longer|never|nolonger]",
    "APPROX": "like|about|around|maybe|over|almost|nearly|roughly|probably|um|least|at|prob",
    # Verbs of wanting/deciding that, followed by "die", express suicidal ideation.
    "WANT": (
        "want|wish|hope|need|ready|deserve|rather|prefer|plan|intend|tempt|long|yearn|"
        "crave|desire|should|try|pray|decide|choose"
    ),
    "REFL": (
        "[myself|yourself|himself|herself|themselves|ourselves|oneself|"
        "[my|me|ur|your|him|her] -? self]"
    ),
    "GOING_TO": (
        "[go to|about to|will|would|want to|plan to|decide to|try to|intend to|ready to|"
        "need to|should]"
    ),
    # People who may hurt someone at home or close by (pronouns included).
    "INTIMATE": (
        "he|she|they|partner|husband|hubby|wife|boyfriend|bf|girlfriend|gf|ex|fiance|"
        "fiancé|fiancee|spouse|dad|daddy|father|stepdad|stepfather|mum|mom|mommy|mummy|"
        "mother|stepmum|stepmom|stepmother|parent|brother|sister|stepbrother|stepsister|"
        "uncle|aunt|auntie|cousin|grandad|granddad|grandfather|grandpa|grandma|"
        "grandmother|nan|nana|son|daughter|roommate|flatmate|housemate|landlord|"
        "neighbour|neighbor|carer|caregiver|guardian|babysitter|nanny|relative|someone|"
        "somebody|man|guy|person|stranger|pimp|dealer|gang|stepson|stepdaughter|in-law|"
        "family|husbands|wives"
    ),
    # Everyone else who may be violent towards a person.
    "OTHER_PERSON": (
        "boss|manager|teacher|coach|colleague|coworker|priest|pastor|tutor|classmate|kid|"
        "student|doctor|officer|cop|police|policeman|instructor|supervisor|employer|"
        "trainer|teammate|friend|bully"
    ),
    "CHILD": (
        "kid|child|son|daughter|baby|toddler|boy|girl|stepson|stepdaughter|stepchild|"
        "niece|nephew|grandson|granddaughter|sibling|youngest|eldest|oldest|infant|"
        "newborn|teenager|teen|brother|sister|twins|kiddo|kiddos|one|ones"
    ),
    # Physical violence against a person (hurt, kill and sexual violence are separate).
    "PHYS": (
        "hit|beat|punch|kick|slap|choke|strangle|smack|shove|throttle|bruise|attack|"
        "stab|bite|whip|headbutt|batter|thump|slam|pin|grab|throw|cut|kneed|elbow|stomp|"
        "brutalise|brutalize|assault|belt|clobber|wallop|deck|scratch|pinch|knife"
    ),
    "PILLS": (
        "pill|tablet|med|medication|medicine|prescription|paracetamol|tylenol|"
        "acetaminophen|ibuprofen|aspirin|painkiller|antidepressant|opioid|opiate|oxy|"
        "oxycodone|codeine|tramadol|morphine|fentanyl|insulin|xanax|valium|benzo|"
        "diazepam|lorazepam|lithium|sertraline|prozac|fluoxetine|citalopram|zoloft|"
        "amitriptyline|quetiapine|seroquel|heroin|drug|sleeper|panadol|nurofen|"
        "cocodamol|zopiclone|mirtazapine|venlafaxine|propranolol|capsule|capsules"
    ),
    "TAKE": "take|swallow|eat|pop|down|neck|chug|gulp|scoff|overdose|od",
    "HEIGHT": (
        "bridge|building|roof|rooftop|cliff|balcony|ledge|tower|window|overpass|"
        "skyscraper|flyover|carpark|multistorey|multi-storey|parking|garage|car park|"
        "parking garage|block of flats|tower block|viaduct|dam|quarry|motorway bridge"
    ),
    "VEHICLE": (
        "train|bus|car|truck|lorry|traffic|tube|subway|metro|tram|vehicle|coach|van|"
        "lorries|cars|trucks|buses|trains"
    ),
    "FOOD": (
        "sugar|caffeine|coffee|chocolate|candy|sweets|cake|netflix|tv|youtube|tiktok|"
        "cuteness|carbs|pizza|cookies|drama|love|romance|reality|anime|kdramas|vitamin|"
        "vitamins|energy|nostalgia|cheese|junk|food|work|music|tea|cringe|feels|sun|"
        "christmas|memes|content|sleep|exercise|tacos|ice|fries|podcasts|books|gaming"
    ),
    # Reasons to "die of" something in a figure of speech.
    "BENIGN_CAUSE": (
        "embarrassment|shame|boredom|laughter|laughing|cuteness|happiness|envy|jealousy|"
        "curiosity|excitement|anticipation|suspense|heat|cringe|joy|thirst|hunger|fright|"
        "nerves|delight|exhaustion|old|natural|awkwardness|secondhand|second-hand|"
        "overexcitement|fomo|impatience"
    ),
    "NOBODY": "[nobody|noone|no-one|no one|not one person|not a single person|not anyone]",
    "BETTER": "better|happier|easier|lighter|calmer|freer|relieved|glad|safer",
    "QUIT_WORDS": "[anymore|any more|any longer|no more|no longer|for much longer]",
    "GAMES": (
        "[chess|cards|pool|tennis|scrabble|monopoly|darts|poker|golf|games|mario|fifa|"
        "fortnite|video games|arm wrestling|ping pong|table tennis|badminton|squash|"
        "football|basketball|running|it|everything|uno|checkers|trivia|quizzes|"
        "his own game|her own game|their own game|a game|the game|board games|sports|"
        "bowling|racing|mario kart|minecraft|bridge|wordle|swimming|crosswords]"
    ),
    # Things that say a cut, burn or bump was an accident.
    "ACCIDENT": (
        "[shaving|while|cooking|chopping|slicing|opening|by accident|accidentally|"
        "on a|on an|on some|on broken|on sharp|on the|on that|on this|on paper|on glass|"
        "on metal|at the gym|at work|playing|running|skiing|falling|in the kitchen|"
        "making dinner|making food|doing the|with paper|with a kitchen|with the kitchen|"
        "when i fell|when i tripped|when i slipped|when i fall|when i was cooking|"
        "when i was shaving|when i was running|when i was playing|in a fall|at football|"
        "at practice|training|working out|lifting|hiking|climbing|gardening|ironing|"
        "baking|on the stove|on the oven|on the kettle|on the iron|with the iron|"
        "with hot|in the sun|sunbathing]"
    ),
}

REGEXES: Dict[str, str] = {
    # suicide, suicidal, suicidality and common misspellings (sucide, suiside, su1cide).
    "SUICIDE": r"(?=.{6,})s[uo]?[i1!y]?[cs]{1,2}[i1!y]?d(?:e|es|ed|al|el|le|les|ial|ality|ally)",
    "SELFHARM": r"self-?(?:harm|harming|harmed|harms|harmer|injury|injuring|injure|injured|"
    r"mutilation|mutilate|mutilating|hurt|hurting)",
    "UNALIVE": r"un-?aliv(?:e|ed|es|ing)",
    "KMS": r"kms+|kmys|kys",
    "ABUSE": r"abus(?:e|ed|es|ing|ive|er|ers|ively)",
    "RAPE": r"rap(?:e|ed|es|ing|ist|ists)",
    "MOLEST": r"molest\w*",
    "GROPE": r"grop(?:e|ed|es|ing)",
    "INCEST": r"incest\w*",
    "OVERDOSE": r"over-?dos(?:e|ed|es|ing)|overdoz\w*|ovrdos\w*|o\.d\.?|od'd|o\.d'd|odd'd",
    "NOOSE": r"noo+ses?",
    "BIG_NUMBER": r"[1-9]\d+|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"hundred|dozens",
    "ING": r"\w{2,}ing",
    "SEWERSLIDE": r"sewerslide|sewer-slide|suicidee+|suicideal|selfdelete|self-delete",
    "LETTERS": r"letters|notes|letterz|lettres|goodbyes",
    "STALKED": r"stalked|stalkd",
}

_QUANTIFIER = re.compile(r"^(?P<body>.+?)(?P<op>\?|\*|\+|\{\d*,?\d*\})?$")
_ALT = "\u00a6"  # token-level alternation produced by group expansion ("a¦b¦c")


def _expand_macros(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in MACROS:
            raise ValueError(f"unknown macro @{name}")
        text = MACROS[name]
        # A bare alternation is pasted in as a group so that it stays one unit inside
        # an enclosing group ("[him|my @INTIMATE]") or with a quantifier ("@ADV{0,3}").
        return text if text.startswith("[") else f"[{text}]"

    for _ in range(5):  # macros may use macros
        new = re.sub(r"@([A-Z_]+)", repl, text)
        if new == text:
            return new
        text = new
    raise ValueError("macro expansion does not terminate")


def _is_single(alternative: str) -> bool:
    return bool(alternative) and " " not in alternative and not re.search(
        r"[?*+{}.%#$@]", alternative
    )


_GROUP_OP = re.compile(r"^(\?|\*|\+|\{\d*,?\d*\})")


def _split_top(text: str) -> List[str]:
    """Splits a group body at ``|`` characters that are not inside a nested group."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _matching_bracket(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == "[":
            depth += 1
        elif text[index] == "]":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced [ in {text!r}")


def _expand_groups(pattern: str) -> List[str]:
    """Expands ``[a b|c]`` groups (outermost first) into separate patterns.

    Alternatives that are single words are merged into one token alternation, so a
    group of words costs one pattern, not one per word.
    """
    open_at = pattern.find("[")
    if open_at < 0:
        return [" ".join(pattern.split())]
    close_at = _matching_bracket(pattern, open_at)
    alternatives: List[str] = []
    for alternative in _split_top(pattern[open_at + 1 : close_at]):
        if (
            alternative.startswith("[")
            and alternative.endswith("]")
            and _matching_bracket(alternative, 0) == len(alternative) - 1
        ):
            alternatives.extend(_split_top(alternative[1:-1]))  # [a|[b|c]] == [a|b|c]
        else:
            alternatives.append(alternative)
    op_match = _GROUP_OP.match(pattern[close_at + 1 :])
    op = op_match.group(1) if op_match else ""
    after = pattern[close_at + 1 + len(op) :]
    before = pattern[:open_at]
    words = [a for a in alternatives if _is_single(a) and not a.startswith("=")]
    literals = [a for a in alternatives if _is_single(a) and a.startswith("=")]
    multis = [a for a in alternatives if a and not _is_single(a)]
    options: List[str] = []
    if words:
        options.append(_ALT.join(words))
    if literals:
        options.append("=" + _ALT.join(a[1:] for a in literals))
    options.extend(multis)
    if op and len(options) == 1 and not multis:
        options = [options[0] + op]
    elif op == "?":
        options.append("")
    elif op:
        raise ValueError(f"quantifier {op} on a group of sequences in {pattern!r}")
    expanded: List[str] = []
    for option in options:
        expanded.extend(_expand_groups(f"{before} {option} {after}"))
    return expanded


def _norm_word(word: str) -> str:
    word = word.translate(_APOSTROPHES).lower()
    return WORD_FORMS.get(word, word)


def _split_words(spec: str) -> List[str]:
    return [w for w in re.split(f"[|{_ALT}]", spec) if w]


@cache
def _words(spec: str) -> List[str]:
    return sorted({_norm_word(w) for w in _split_words(spec)})


def _literals(spec: str) -> List[str]:
    words = {w.translate(_APOSTROPHES).lower() for w in _split_words(spec.lstrip("="))}
    return sorted(words | {w.replace("'", "\u2019") for w in words})


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
    elif body.startswith("="):
        token = {"LOWER": {"IN": _literals(body)}}
    elif body.startswith("$"):
        raise ValueError(f"{body} is only allowed at the end of a pattern")
    else:
        token = {"NORM": {"IN": _words(body)}}
    if op:
        token["OP"] = op
    return token


TokenPattern = List[Dict[str, object]]


def compile_pattern(pattern: str) -> Tuple[List[TokenPattern], List[TokenPattern]]:
    """Compiles one rule pattern into spaCy ``Matcher`` token patterns.

    Returns:
        Two lists of token patterns: the plain ones, and the ones that must be followed
        by the end of the text (they ended in ``$end``).
    """
    plain: List[List[Dict[str, object]]] = []
    at_end: List[List[Dict[str, object]]] = []
    for expanded in _expand_groups(_expand_macros(pattern)):
        specs = expanded.split()
        if not specs:
            continue
        target = plain
        if specs[-1] == "$end":
            specs, target = specs[:-1], at_end
        if specs:
            target.append([_token_spec(spec) for spec in specs])
    return plain, at_end


TokenTest = Callable[["Token"], bool]


def _context_test(spec: str) -> TokenTest:
    if spec.startswith("%"):
        regex = re.compile(rf"^(?:{REGEXES[spec[1:]]})$")
        return lambda token: bool(regex.match(_lower(token)))
    if spec == "#num":
        return lambda token: bool(token.like_num)
    if spec.startswith("="):
        literals = frozenset(_literals(spec))
        return lambda token: _lower(token) in literals
    words = frozenset(_words(spec)) | frozenset(
        w.translate(_APOSTROPHES).lower() for w in _split_words(spec)
    )
    return lambda token: _lower(token) in words or token.norm_ in words


def compile_context(context: str) -> List[List[Optional[TokenTest]]]:
    """Compiles a context spec into token-test sequences (``None`` stands for ``$end``)."""
    sequences = []
    for expanded in _expand_groups(_expand_macros(context)):
        tests: List[Optional[TokenTest]] = []
        for spec in expanded.split():
            tests.append(None if spec == "$end" else _context_test(spec))
        if tests:
            sequences.append(tests)
    return sequences


def _is_end(doc: Doc, index: int) -> bool:
    if index >= len(doc) or index < 0:
        return True
    token = doc[index]
    return not (token.is_alpha or token.like_num or "'" in _lower(token))


def _sequence_at(doc: Doc, index: int, tests: List[Optional[TokenTest]], step: int) -> bool:
    """Whether ``tests`` match the tokens from ``index`` on (``step=-1`` walks back)."""
    ordered = tests if step > 0 else list(reversed(tests))
    for offset, test in enumerate(ordered):
        position = index + offset * step
        if test is None:
            return _is_end(doc, position)
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
    #: The match is dropped if one of these words comes within the next few tokens of
    #: the same clause (e.g. "a burden to my therapist *when* I email").
    unless_soon_after: Tuple[str, ...] = ()


#: How many tokens after a match ``unless_soon_after`` looks at (within a clause).
SOON_AFTER_WINDOW = 6


_PASSIVE_VIOLENCE = (
    "=hit|=beaten|=punched|=kicked|=slapped|=choked|=strangled|=attacked|=stabbed|"
    "=battered|=smacked|=shoved|=whipped|=throttled|=headbutted|=threatened|=stalked|"
    "=harassed|=blackmailed|=kidnapped|=assaulted|=raped|=molested|=abused|=groped|"
    "=strangled|=burned|=burnt|=belted"
)

RULES: Tuple[Rule, ...] = (
    # ---------------------------------------------------------------- suicidal ideation
    Rule(
        "suicide_word",
        SUICIDAL_IDEATION,
        "Any form or misspelling of suicide/suicidal, and slang for it ('sewerslide', "
        "'self delete').",
        patterns=("%SUICIDE", "%SEWERSLIDE", "sewer slide", "self -? delete"),
        unless_followed_by=("from the", "from this", "from that", "from my", "from our",
                            "the app", "this app", "my account", "the post", "my post"),
    ),
    Rule(
        "kill_self",
        SUICIDAL_IDEATION,
        "Killing/ending/unaliving oneself ('kill myself', 'off myself', 'top myself', "
        "'end myself', 'do myself in', 'kill my self'), and 'kms'/'kys'.",
        patterns=(
            "[kill|murder|unalive|off|top|end|destroy|delete] @REFL",
            "do @REFL in",
            "%UNALIVE",
            "un -? alive",
            "%KMS",
        ),
        unless_preceded_by=("#num",),
        unless_followed_by=("from", "off", "up", "out of the", "laughing", "with laughter",
                            "in the gym", "at the gym", "at work", "with work",
                            "working"),
    ),
    Rule(
        "take_own_life",
        SUICIDAL_IDEATION,
        "Ending or taking one's own life; ending one's existence or suffering.",
        patterns=(
            "[end|take] [my|your|his|her|their|our|me] own? [life|lives]",
            "[end|stop] [my|this|me] [existence|suffering|misery|torment]",
            "[kill|end] [my|his|her] own? [life|existence]",
        ),
        unless_followed_by=("back", "in my own hands", "into my own hands", "seriously",
                            "forward", "in a new", "in another", "to the next", "as i know",
                            "in hand", "more seriously", "in the right", "in a different",
                            "in my hands", "into my hands", "off hold", "off pause"),
    ),
    Rule(
        "end_it_all",
        SUICIDAL_IDEATION,
        "Ending it all / everything, or ending 'it' with a time ('end it tonight').",
        patterns=(
            "end it @ADV? [all|tonight|today|now|soon|forever|tomorrow]",
            "end it [for good|once and for all|this week|this weekend|right now]",
            "end [it|things|everything] [permanently|for good|forever|for ever]",
            "life .{0,6} [want|wish|need] @ADV? it @ADV? [to end|to stop|to be over|"
            "would end|would stop|over]",
            "[feel like|think about|thought about|thinking about|consider|considering|"
            "plan|planning|want|wanna|go to] @ADV? end it",
            "end everything",
            "end [this|my] life",
        ),
        unless_followed_by=("with", "between", "for the", "for them", "for us", "for him",
                            "for her", "on a", "on good"),
    ),
    Rule(
        "want_to_die",
        SUICIDAL_IDEATION,
        "Wanting, wishing, needing, deciding, deserving or being ready to die or be dead.",
        patterns=(
            "@WANT @ADV{0,3} @TO? @ADV{0,3} die",
            "@WANT @ADV{0,3} @TO? @ADV{0,3} be @ADV{0,2} dead",
            "[hope|wish|pray|want] [that]? [i|me] @ADV{0,2} [would|will|could|might|can|do]? "
            "@ADV{0,2} [die|dead]",
            "[wish|hope] [that]? i [be|had|would] @ADV{0,2} [dead|die|gone]",
            "better off dead",
            "be better dead",
            "feel like [die|kill @REFL|end it all|end my life]",
            "[tell|telling|told|tells] me to @ADV? [die|kill @REFL|end it|end my life|"
            "go die|just die]",
            "[death|die|be dead|not exist|not be here|not wake up|sleep forever|"
            "asleep forever|the idea of die|the thought of die|idea of not exist] @ADV? "
            "[sound|seem|feel|look|be] @ADV? [peaceful|nice|good|better|easier|appealing|"
            "tempting|comforting|like a relief|like relief|like the answer|like the only way|"
            "like the only option|like an escape|like a way out|so peaceful|so nice|"
            "so tempting|like freedom|like rest]",
            "rather be dead",
            "[want|wish|hope] .{0,2} [someone|somebody|anyone|anybody|you|god|something|it] "
            "@ADV? @TO? [would|could|will]? @ADV? [kill|murder|end] me",
            "[wish|hope|pray] .{0,3} [car|truck|bus|train|lorry] .{0,2} [hit|kill|run over] me",
        ),
        unless_followed_by=(
            "alone", "lonely", "single", "unloved", "old", "happy", "happily", "peacefully at",
            "of old age", "a virgin", "without ever", "without having", "without finding",
            "without knowing", "without love", "with regrets", "with regret", "knowing",
            "laughing", "of %ING", "my hair", "her hair", "his hair", "their hair", "the hair",
            "it", "in a game", "in the game", "in minecraft", "down", "out", "off", "hard",
            "for my", "for you", "for him", "for her", "for them", "for this", "for that",
            "for it", "for love", "before my", "before them", "before him", "before her",
            "first", "in my sleep at", "at a ripe", "of natural", "surrounded by", "in peace at",
            "with dignity when", "doing what i love", "in your arms", "in his arms",
            "in her arms",
        ),
    ),
    Rule(
        "not_want_to_live",
        SUICIDAL_IDEATION,
        "Not wanting to live, exist, be alive or be here any more; wishing one had never "
        "been born; hoping not to wake up.",
        patterns=(
            "@NOT @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} [be alive|exist|be here anymore|"
            "be here any more|be here any longer|be around anymore|be around any more|"
            "be on this earth|be in this world|be on earth|be in this life|"
            "keep living|keep existing|stay alive|continue living|continue existing]",
            "@NOT @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} live [in|on] [this|the] "
            "[world|earth|planet]",
            "@NOT @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} live [anymore|any more|any longer|"
            "like this|this way|this life|another day|another minute|another year]",
            "@WANT @ADV{0,2} @TO? not [be alive|exist|be here|live|wake up|be around]",
            "@WANT @ADV{0,2} @TO? [cease to exist|stop existing|stop living|stop breathing|"
            "stop being alive|no longer exist|no longer be alive|no longer be here|"
            "be gone forever|be gone for good|go to sleep forever|sleep forever|"
            "sleep for ever|not be born|never have been born|never wake up|never wake]",
            "not @ADV{0,2} deserve @TO? [live|be alive|exist|be here|breathe|be born]",
            "[i|me] should @ADV? not @ADV? [exist|be alive|have been born]",
            "[wish|hope] [that]? i .{0,3} [never|not] [be born|exist|been born|born|wake up|"
            "woke up|be alive|been alive|be here|around|existed]",
            "[wish|hope|want|pray|rather] .{0,3} [not|never] [wake up|wake again]",
            "[sleep|asleep|bed] and [not|never] [wake|wake up]",
            "never wake up again",
            "[if|whether] i live or die",
            "[if|whether] i die or live",
        ),
        unless_followed_by=("early", "at #num", "at dawn", "at the crack", "before #num",
                            "before work", "before school", "so early", "for work",
                            "for school"),
    ),
    Rule(
        "not_want_to_live_bare",
        SUICIDAL_IDEATION,
        "'I don't want to live/be here' with nothing after it (not 'live with my parents').",
        patterns=(
            "@NOT @ADV{0,2} @WANT @ADV{0,2} @TO? @ADV{0,2} [live|be here|be alive|exist|"
            "be around|wake up|go on|carry on|keep going]",
        ),
        followed_by=("$end", "and", "but", "so", "because", "cause", "cuz", "i", "im",
                     "tomorrow", "ever again", "again", "lol", "tbh", "honestly", "please",
                     "without", "sometimes", "at all", "@QUIT_WORDS"),
    ),
    Rule(
        "no_reason_to_live",
        SUICIDAL_IDEATION,
        "No reason/point/will to live, nothing to live for, not worth living, tired of "
        "living, wanting it all to end.",
        patterns=(
            "no [reason|point|purpose|will|desire] .{0,3} [live|alive|exist|existence]",
            "[not see|not see the|not see any|see no|not find any|not have any|not have a] "
            "[reason|point|purpose] .{0,3} [live|alive|exist|existence|life]",
            "[nothing|nobody|noone|no one|nothing left|nobody left|no one left|not much] "
            "@ADV? [to|2] live for",
            "not [worth|worthy] @ADV? [live|be alive|exist|the effort of living]",
            "point of [live|life|be alive|exist|keep live|go on live]",
            "[pointless|meaningless|no point|not see the point|see no point] [to|in|of] "
            "[live|exist|be alive|be here|life]",
            "no point @ADV? [anymore|any more|in anything|to anything|to any of this|"
            "in any of this|in trying anymore|in even trying]",
            "[tired|sick|exhausted|weary|done|finished] [of|with|by] @ADV? [live|life|be alive|"
            "exist|breathe|it all|this life|my life|everything and everyone]",
            "done [live|exist|be alive]",
            "[want|wish|need] @ADV{0,2} [it all|everything|all of this|all this|the pain|life|"
            "my life|this life|the suffering|this pain|existence|my existence] @ADV? "
            "[to end|to stop|to be over|would end|would stop|ended|to finish]",
            "[wish|want] [it|this|everything] [be|would be|to be] @ADV? [all]? over",
            "give up on [life|live|everything]",
            "[ready|prepared] @TO? [leave this world|leave this earth|die]",
            "[leave|exit] [this world|this earth|this life]",
        ),
        unless_followed_by=("insurance", "admin", "drawing", "coach", "coaching", "skills",
                            "lesson", "lessons", "style", "story", "stories", "of the party",
                            "science", "sciences", "cycle", "hack", "hacks", "jacket",
                            "expectancy", "span", "of the party"),
    ),
    Rule(
        "life_not_worth_it",
        SUICIDAL_IDEATION,
        "Life (one's own) described as not worth it, pointless, unbearable or over.",
        patterns=(
            "[life|live|be alive|exist] @ADV{0,2} [be|feel|seem]? @ADV{0,2} not @ADV? worth",
            "life @ADV{0,2} [be|feel|seem]? @ADV{0,2} [pointless|meaningless|unbearable|"
            "unlivable|hopeless|worthless|a waste|over]",
        ),
        unless_followed_by=("insurance", "coach", "admin", "hack", "hacks", "drawing",
                            "of the party", "expectancy", "span", "story", "cycle"),
        unless_preceded_by=("social", "love", "dating", "sex", "night", "work", "school",
                            "student", "married", "single", "city", "home", "family",
                            "professional", "personal", "college", "uni", "university",
                            "office", "real", "party", "old", "past", "shelf", "battery",
                            "half", "after", "still", "country", "village", "campus",
                            "prison", "army", "gaming", "online", "working", "academic",
                            "the", "a", "this", "that"),
    ),
    Rule(
        "no_point_going_on",
        SUICIDAL_IDEATION,
        "No point/reason going on, trying, staying alive (not 'going on the trip').",
        patterns=(
            "[no|not see the|not see any|see no|not see a|not find any] [reason|point|purpose] "
            ".{0,3} [go on|carry on|keep go|keep try|try|stay alive|wake up|get up|keep fight|"
            "keep live|be here]",
        ),
        followed_by=("$end", "anymore", "any more", "any longer", "living", "with life",
                     "with my life", "with this", "like this", "and", "but", "so", "i",
                     "im", "without", "after", "at all", "in life", "in this life",
                     "in the morning anymore", "every day", "each day", "tomorrow"),
    ),
    Rule(
        "cant_go_on",
        SUICIDAL_IDEATION,
        "Can't go on / keep going / live like this (not 'can't go on the trip').",
        patterns=(
            "can not @ADV? [go on|carry on|keep going|keep go|keep living|live like this|"
            "live this way|continue like this|continue living|keep doing this|face another day|"
            "face tomorrow|survive this|get through another day|do life]",
            "[will|would] not @ADV? [survive|make it through] [tonight|the night|another day]",
        ),
        followed_by=("$end", "like", "anymore", "any more", "any longer", "living", "much",
                     "without", "with life", "with my life", "and", "but", "so", "i", "im",
                     "no", "alone", "lol", "tbh", "honestly", "please", "after", "if",
                     "because", "cause", "cuz", "another", "@QUIT_WORDS"),
    ),
    Rule(
        "cant_take_it",
        SUICIDAL_IDEATION,
        "Can't take/bear/handle/do it or this any more.",
        patterns=(
            "can not @ADV? [take|bear|stand|handle|cope with|do|endure|survive] "
            "[it|this|life|living|this life|any of it|any of this|the pain] @ADV? @QUIT_WORDS",
            "can not @ADV? [cope|live|go on|carry on] @ADV? @QUIT_WORDS",
            "can not @ADV? [take|bear] [any|no] more",
        ),
        unless_followed_by=("of", "at work", "at school", "in this job", "with this job",
                            "with work", "with school", "with my job", "with this class"),
    ),
    Rule(
        "disappear",
        SUICIDAL_IDEATION,
        "Wanting to disappear or vanish for good.",
        patterns=(
            "[@WANT|feel like|wanna|fantasize about|dream of|dream about|think about] @ADV{0,2} "
            "@TO? @ADV{0,2} [disappear|vanish|fade away|cease|cease to be]",
            "[wish|hope] [that]? i .{0,3} [disappear|vanish|fade away|cease]",
        ),
        followed_by=("$end", "forever", "for ever", "for good", "permanently", "completely",
                     "from this world", "from the world", "from existence", "off the face",
                     "and never", "and not", "for real", "and no one", "and nobody",
                     "without", "lol", "tbh", "honestly", "but", "so", "i", "im",
                     "from everyone", "from everything", "from this earth", "entirely",
                     "altogether", "into thin air", "into nothing", "into nothingness"),
    ),
    Rule(
        "thinking_about_dying",
        SUICIDAL_IDEATION,
        "Thinking, dreaming or fantasising about dying, one's own death or funeral.",
        patterns=(
            "[think|thought|dream|fantasize|fantasy|fantasies|obsess|thoughts|idea|ideas|"
            "urge|urges] @ADV? [about|of|abt] @ADV? [die|my own death|my death|"
            "my own funeral|my funeral|not exist|not be here|not be alive|be dead|"
            "end it|end my life|end everything|end it all|kill myself|not wake up|"
            "everyone at my funeral|people at my funeral|no longer be here|no longer exist]",
            "[imagine|picture|plan|planning|visualise|visualize] @ADV? [my own death|my death|"
            "my own funeral|my funeral|everyone at my funeral|people at my funeral|"
            "how people would react if i died|everyone's reaction if i died|not exist|"
            "be dead|not be here|not be alive]",
        ),
        unless_followed_by=("with", "between", "in a game", "in the game", "plans", "plan for",
                            "arrangements", "wishes", "music", "song", "songs", "insurance",
                            "costs", "cost", "director", "home", "service", "my hair",
                            "her hair", "his hair", "the hair", "hair", "it blue", "it pink"),
    ),
    # -------------------------------------------------------------------------- self harm
    Rule(
        "self_harm_word",
        SELF_HARM,
        "Self-harm, self-injury, self-mutilation in any spelling.",
        patterns=(
            "%SELFHARM",
            "self -? [harm|harming|injury|injure|injuring|mutilation|mutilate|mutilating|"
            "hurt|hurting|harmer]",
            "[=cutting|=burning] [scar|scars|wounds]",
            "scar from [=cutting|=burning|self harm|self harming]",
        ),
    ),
    Rule(
        "harm_self",
        SELF_HARM,
        "Cutting, burning, hitting, scratching or starving oneself (not accidents).",
        patterns=(
            "[cut|burn|hit|punch|scratch|bite|bruise|carve|slash|injure|mutilate|starve|"
            "harm|whip|beat|scald|stab|slice] @REFL",
            "hurting @REFL",
            "[want|urge|urges|go|gonna|need|tempt|temptation|might|may|will|would|"
            "could|thoughts|think|scared|afraid|worried|keep|start|stop|"
            "try|not|plan|again|deliberately|purposely|intentionally|"
            "sometimes|often|always|still|wanna] .{0,2} hurt @REFL",
            "hurt @REFL [on purpose|deliberately|intentionally|again|every|when|whenever|"
            "because|to|so|badly|more|$end]",
            "make @REFL [bleed|throw up|vomit|puke|hurt|suffer|starve]",
            "[until|till|til|'til] [it|i|they] [bleed|bled|bleeding]",
            "[fresh|new|deep] [cut|burn] [on|all over] my",
            "[arm|leg|thigh|wrist|stomach|body|skin] [be] [covered in|full of] [cut|scar|"
            "burn|fresh cut|scratch|cuts|scars|burns]",
            "[cut|slit|slash|carve|burn|scratch] @ADV? [my|your|his|her] "
            "[wrist|arm|thigh|leg|skin|stomach|hip|forearm|body|belly|ankle|chest]",
        ),
        unless_followed_by=("@ACCIDENT", "off", "some", "a break", "a slice", "a piece",
                            "short", "loose", "free", "out", "up", "down", "to pieces",
                            "into", "slack", "in the foot", "in the back", "with work",
                            "laughing", "with laughter", "from laughing", "too hard",
                            "hair", "nails", "toenails", "fringe", "bangs"),
        unless_preceded_by=("accidentally",),
    ),
    Rule(
        "cutting_again",
        SELF_HARM,
        "Starting, relapsing into or craving cutting or burning.",
        patterns=(
            "[start|relapse|relapsed|stop|quit|resist|urge|urges|want|wanna|need|crave|"
            "craving|tempt|temptation|go back to|back to|been|=been|=was|=were] @ADV? @TO? "
            "[=cut|=cutting|=burning|=burn|self harming|hurting myself]",
            "[=cut|=cutting|=burning|=burn] [again|deeper|more|deep|too deep|so deep]",
        ),
        followed_by=("$end", "again", "tonight", "deeper", "myself", "and", "but", "i", "im",
                     "lately", "since", "after", "because", "when", "every", "so bad",
                     "so badly", "really bad", "this time", "last night", "today",
                     "yesterday", "more", "on my", "my arms", "my legs", "my wrists"),
    ),
    Rule(
        "cutting_helps",
        SELF_HARM,
        "Cutting or burning as a way of coping; urges to cut.",
        patterns=(
            "[=cutting|=burning|self harm|self harming|selfharm] [be|help|helps|work|works] "
            "@ADV? [the only|my only|how i|what helps|all that helps|the one thing|"
            "what keeps me|what calms|my way]",
            "[urge|urges|craving|cravings] [to|of] @ADV? [=cut|=burn|=cutting|=burning|"
            "self harm|hurt myself|harm myself]",
        ),
        unless_followed_by=("my hair", "hair", "my fringe", "ties", "back", "down", "costs",
                            "corners", "someone", "people", "them", "him", "her", "off",
                            "out", "the cake", "sugar", "carbs", "calories", "contact",
                            "the cord", "cords", "ties with", "my losses", "losses"),
    ),
    Rule(
        "blades",
        SELF_HARM,
        "Hiding razors or blades.",
        patterns=(
            "[hide|stash] .{0,3} [razor|blade|razorblade|sharpener blade]",
            "[razor|blade] .{0,3} [to cut|for cutting|to hurt|to harm|to use on myself]",
            "[razor|blade] .{0,2} [=hidden|=stashed|under my mattress|under my pillow]",
        ),
    ),
    # ----------------------------------------------------------------------- plan or means
    Rule(
        "method_self",
        PLAN_OR_MEANS,
        "A method applied to oneself: hang, shoot, drown, poison, suffocate, gas, "
        "electrocute, strangle or overdose myself; a gun to my head; a noose.",
        patterns=(
            "[hang|shoot|drown|poison|suffocate|smother|electrocute|strangle|gas|"
            "asphyxiate|overdose|od|choke|set fire to] @REFL",
            "[slit|slash|cut|open] @ADV? [my|your|his|her] [wrist|throat|vein|neck]",
            "[blow|blew] [my|your|his|her] brains out",
            "[bullet|gun|pistol|knife|blade] [to|in|into|through|against] [my|your] "
            "[head|brain|temple|mouth|chest|heart|throat]",
            "pull the trigger",
            "[rope|belt|cord|cable|scarf|noose] [around|round] [my|your] neck",
            "%NOOSE",
            "[rope|noose|belt|cord] [ready|tied up|set up|prepared|hanging from|tied to]",
            "[know|figure out|work out|decide|plan|planned|=figured|=worked] [exactly]? how "
            "i [would|will|go to|'m go to|be go to|gonna] do it",
            "set @REFL [on fire|alight|ablaze]",
        ),
        unless_followed_by=("in the foot", "out to dry", "in the back", "with work",
                            "differently", "better", "next time", "if", "at work", "for work",
                            "in the exam", "on the test", "tomorrow at",
                            "with food", "with junk", "in @FOOD", "in work", "in paperwork",
                            "in hobbies", "on", "with kindness", "to sleep"),
    ),
    Rule(
        "overdose",
        PLAN_OR_MEANS,
        "Overdosing (not on chocolate or Netflix).",
        patterns=("%OVERDOSE", "od on", "@GOING_TO @ADV? od"),
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
            "a month's|a months|a month of|a week's|a weeks|dozens of|loads of|a load of|"
            "a bunch of|heaps of|the rest of|every single] .{0,3} @PILLS",
            "@TAKE @ADV? @APPROX{0,2} %BIG_NUMBER [of|my|the|those|these|his|her|mum|mom|dad|"
            "'s|sleeping|pain|anxiety|prescription|extra|more]{0,3} @PILLS",
            "@TAKE @ADV? [my|the|those|these|all my|all the|his|her|all of my] .{0,2} @PILLS "
            "[all at once|at once|in one go|all in one go|in one sitting]",
            "@TAKE @ADV? [them|it|everything] [all at once|in one go|all in one go]",
        ),
        unless_followed_by=("a day", "every", "each", "daily", "per day", "twice", "as",
                            "for my", "for the", "prescribed", "in the morning", "at night",
                            "with food", "with breakfast", "before bed", "a week"),
    ),
    Rule(
        "pills_all_end",
        PLAN_OR_MEANS,
        "'take all my pills' with nothing routine after it.",
        patterns=("@TAKE @ADV? all [of]? [my|the|those|these|his|her]? .{0,2} @PILLS",),
        followed_by=("$end", "tonight", "now", "today", "and", "so", "then", "to", "when",
                     "if", "i", "im", "lol", "after", "because", "cause", "right now"),
    ),
    Rule(
        "pills_stockpile",
        PLAN_OR_MEANS,
        "Saving up, stockpiling or hiding pills; pills counted out; enough pills to die; "
        "asking how many would be lethal.",
        patterns=(
            "[stockpile|hoard|stash|squirrel|hide|save|store up|collect up] "
            "[up|away|aside]? [my|the|some|all|a|few|enough|lot|lots|of|loads|extra|spare|"
            "leftover|old|month|week|year|'s|worth|supply|bunch|stash|load|pile|heap|"
            "handful|couple|box|bottle|packet|pack|strip|two|three|several|many]{0,4} @PILLS",
            "@PILLS .{0,2} [saved up|stockpiled|stashed|hoarded|hidden|lined up|laid out|"
            "counted out|in front of me|put aside|set aside|squirrelled away|squirreled away|"
            "stored up|tucked away|ready to go|ready to take|ready|all ready|next to me|"
            "beside me|in my hand|in my hands|here with me|by my bed]",
            "[count|line|lay|set|put] [out|up|aside] .{0,2} @PILLS",
            "@PILLS [to|2] [kill|end|die|overdose|od|do it|finish]",
            "enough [to kill|to end|to die|to overdose|to do it|to finish it]",
            "how [many|much] .{0,4} @PILLS .{0,6} [die|kill|lethal|fatal|dead|overdose|od|end|"
            "deadly|not wake]",
            "how [many|much] .{0,6} [to die|to kill|to be lethal|to be fatal|to overdose|"
            "to od|would kill|would be lethal|would be fatal|is lethal|is fatal|is deadly]",
            "[lethal|fatal|deadly|toxic|killing|overdose] [dose|doses|amount|dosage|quantity|"
            "level|limit]",
            "[prescription|prescriptions] .{0,2} [save|stockpile|hoard|stash]",
        ),
        unless_followed_by=("from the", "from my", "at the pharmacy", "in the cupboard",
                            "in the fridge", "cool", "dry", "safe", "locked", "out of reach",
                            "in a safe", "in a pill", "in my pill", "organiser", "organizer",
                            "money", "on my prescription", "for the dog", "for the cat",
                            "for collection", "to collect", "for pickup", "for pick up",
                            "to pick up", "at the chemist",
                            "for my dog", "for my cat"),
    ),
    Rule(
        "jumping",
        PLAN_OR_MEANS,
        "Jumping from a height, in front of a vehicle or onto tracks; walking into traffic "
        "or the sea; driving off or into something.",
        patterns=(
            "[jump|leap|step|dive|[throw|hurl|fling|launch] @REFL] @ADV? "
            "[off|from|out of] [the|a|this|that|my|our|his|her|top of the|the top of the|"
            "the top of a|the side of the|the edge of the|the roof of the|the roof of my]? "
            "@HEIGHT",
            "[jump|leap|step|walk|run|lie down|lay down|lie|lay|drive|swerve|dive|"
            "[throw|hurl|fling] @REFL] @ADV? [in front of|under|infront of] [a|the|an|some|"
            "this|that|oncoming|moving|passing|speeding|next|a speeding|the next|a moving]? "
            "[@VEHICLE]",
            "[walk|step|run|wander|drive] @ADV? [into|in to|out into|out in] [the]? "
            "[oncoming]? traffic",
            "[jump|lie|lay|walk|step|stand|throw @REFL] [on|onto] [the]? [tracks|track|"
            "railway|rails|railway line|train tracks|train track|line]",
            "[walk|wade|swim|throw @REFL] @ADV? [out]? [into|in|to] [the|a] "
            "[sea|ocean|river|lake|water|canal|loch|quarry] [and never|and not|and let|"
            "and drown|until|to drown|never|forever|$end]",
            "crash [my|the] car [on purpose|deliberately|intentionally|into]",
            "[drive|steer|swerve] [my|the]? car? [into|off|in front of] [the|a|an|oncoming]? "
            "[tree|wall|bridge|cliff|river|oncoming|lorry|truck|traffic|barrier|lake|sea]",
        ),
        unless_followed_by=("queue", "line", "for a", "for the", "to get"),
    ),
    Rule(
        "going_to_jump",
        PLAN_OR_MEANS,
        "'I'm going to jump' with nothing harmless after it.",
        patterns=("@GOING_TO @ADV? jump",),
        followed_by=("$end", "off", "from", "tonight", "now", "today", "soon", "in front",
                     "and", "i", "im", "lol", "right now", "out of", "under", "before",
                     "if", "when"),
    ),
    Rule(
        "at_the_edge",
        PLAN_OR_MEANS,
        "Standing on a ledge, bridge or roof edge.",
        patterns=(
            "[edge|ledge|railing|rail|parapet] of [the|a|this|that] [roof|bridge|building|"
            "cliff|platform|balcony|tower|car park|carpark|multistorey|multi-storey|overpass|"
            "rooftop]",
            "[stand|sit|climb|perch|be] [on|at|over|onto|up on] [the|a|this] "
            "[ledge|railing|parapet]",
            "[stand|sit|climb|be] [on|at|onto|up on] [the|a|this] [bridge|roof|rooftop|overpass|"
            "cliff edge|cliff|platform edge|balcony railing] [now|right now|and|thinking|"
            "looking down|ready|about to|$end]",
        ),
    ),
    Rule(
        "firearm",
        PLAN_OR_MEANS,
        "Getting or having a gun.",
        patterns=(
            "[buy|bought|get|got|purchase|own|have|load|find|grab|take|hold|pick up|"
            "borrow|order|keep|steal|stole] @ADV? [a|an|my|the|his|her|dad|dads|'s|loaded|"
            "new|own|mum|mom]{0,3} [gun|pistol|firearm|rifle|shotgun|revolver|handgun|glock]",
            "[loaded] [gun|pistol|rifle|shotgun|revolver|handgun]",
        ),
        unless_followed_by=("license", "licence", "show", "safety course", "range", "collection",
                            "cabinet", "safe", "club", "shop", "store",
                            "in the game", "in game", "skin", "skins", "in fortnite",
                            "in cod", "in call of duty", "emoji"),
    ),
    Rule(
        "painless_way",
        PLAN_OR_MEANS,
        "Asking for or researching a way to die; a plan to die; a date set to die.",
        patterns=(
            "[painless|quick|quickest|easy|easiest|best|fastest|peaceful|simplest|surest|sure|"
            "effective|reliable|certain|least painful|most painless|most effective|good|"
            "gentlest|gentle|clean|cleanest|quietest|nicest] [way|ways|method|methods|means] "
            "[to|of|for] [die|dying|kill @REFL|killing @REFL|end it|end my life|suicide|"
            "overdose|commit|hang @REFL|go to sleep forever|not wake up|unalive|"
            "disappear forever]",
            "[painless|quick|quickest|easy|easiest|best|fastest|peaceful|simplest|surest|"
            "least painful|most painless|gentlest] [way|ways|method|methods] [to|of] go",
            "how [can|could|would|should|do|does|to]? [i|you|one|people|someone|anyone]? "
            "[to]? @ADV? [die|kill @REFL|end my life|end it all|overdose|od|hang @REFL|"
            "unalive|stop existing]",
            "[google|search|research|look|read] @ADV? [up]? .{0,2} [way|ways|method|methods|"
            "how] [to|of] [die|dying|kill @REFL|end my life|end it all]",
            "[a|the|my] plan [to|for] @ADV? [die|kill @REFL|kill me|end it|end my life|"
            "suicide|my death|end it all|my suicide]",
            "[pick|choose|chose|set] [a|the|my] [date|day] [to|for] [die|end it|kill @REFL|"
            "my death|my suicide|end my life]",
        ),
        unless_followed_by=("to the", "to a", "to my", "to work", "to school", "to sleep",
                            "in minecraft", "in the game", "in a game", "in skyrim", "out",
                            "about", "in fortnite", "in game", "back", "on", "with"),
        followed_by=(),
    ),
    # --------------------------------------------------------------------------- burden
    Rule(
        "better_off_without_me",
        BURDEN,
        "Others would be better off / happier without me, or if I were gone or dead.",
        patterns=(
            "@BETTER off? @ADV? [without|w/o|minus] me",
            "@BETTER off? .{0,4} if i @ADV? [be|'m|am|just|had|did|could|were to]? @ADV? "
            "[die|dead|gone|disappear|vanish|kill myself|end it|never born|never existed|"
            "never be born|away forever|no longer here|no longer around|stop existing|"
            "not around|not here|not alive|not exist|never here|left forever|left for good|"
            "go away forever|gone forever|not in the picture|not in their lives|"
            "not in her life|not in his life|not in their life]",
            "@BETTER off? .{0,4} [when|once|after] i @ADV? [be|'m|am]? [gone|dead|die]",
            "[world|everyone|everybody|family|they|people|kids|children|partner|friends] "
            ".{0,3} [fine|okay|ok|alright|all right|better|happier] @ADV? [without me|"
            "if i was gone|if i were gone|when i am gone|when i'm gone|once i'm gone]",
            "[do|would|will] [everyone|everybody|them|the world|my family|people] "
            "a [favour|favor] [by|if]",
        ),
        unless_followed_by=("at the", "in the", "on the", "for now", "for a while",
                            "for the weekend", "tonight", "this weekend", "today",
                            "for a bit", "for a few", "there", "around for", "at work",
                            "on this project", "on the team", "in the team", "while i'm away",
                            "while i am away", "on holiday", "for the meeting", "at meetings",
                            "in meetings", "during", "nagging", "asking", "bothering them",
                            "interfering", "getting involved", "hovering"),
    ),
    Rule(
        "i_am_a_burden",
        BURDEN,
        "Being (only, just, such) a burden to others (not 'a burden when I ask for help').",
        patterns=(
            "[i|me] @ADV{0,2} [have|'ve]? @ADV? [be|feel|become|seem|turned into|just|"
            "always] @ADV? [like]? [just|only|such|nothing|but|a|an|the|huge|total|big|"
            "massive|constant|complete|heavy|financial|emotional|real|useless|literal|"
            "giant|dead|pathetic|worthless|walking|unbearable]{0,4} burden",
            "[be|being|been] [a|such a|an|the|nothing but a|just a|only a] @ADV? burden "
            "[to|on|for] [everyone|everybody|my|the|people|others|them|all|anyone|you|"
            "those|him|her|the world|society]",
            "burden [to|on|for] [everyone|everybody|my family|the people|people|others|them|"
            "all|the world|my loved ones|my friends|my partner|my kids|society|anyone|"
            "those around me|the people around me|everyone around me|all of them|"
            "everyone i]",
            "waste of [space|oxygen|air|skin|a life|breath|time and space]",
            "[waste|=wasting|=wasted] .{0,2} [oxygen|air]",
            "[world|earth|everyone|everybody|anyone|anybody|nobody|no one|my family] "
            "[do|does]? not @ADV? [need|want] me [in it|here|around|anymore|any more|"
            "alive|on this earth|$end]",
            "not .{0,2} [have to|need to|got to] [deal with|worry about|put up with|"
            "look after|care for|take care of|bother with] me @ADV? [much longer|anymore|"
            "any more|any longer|for long|soon|for much longer]",
        ),
        unless_followed_by=("when", "whenever", "if", "sometimes", "at work", "at times",
                            "in meetings", "by asking", "for asking", "for needing",
                            "because i ask", "because i need", "with my questions",
                            "with questions", "of proof", "of care", "of expectations",
                            "of a", "of an", "of the", "of my", "of responsibility",
                            "of guilt", "about", "while i", "during"),
        unless_soon_after=("when", "whenever", "if", "sometimes", "because", "by"),
    ),
    Rule(
        "nobody_would_miss_me",
        BURDEN,
        "Nobody would miss me, or notice or care if I died or disappeared.",
        patterns=(
            "@NOBODY [would|will|even|really|actually|ever|gonna|go|to]{0,3} @ADV{0,2} "
            "miss me",
            "@NOBODY [would|will|even|really|actually|gonna|go|to|do|does]{0,3} @ADV{0,2} "
            "[notice|care|mind|cry|grieve|mourn|realise|realize|know] .{0,2} "
            "[if|when|that|whether|once|after] i @ADV{0,2} [be|just|had]? @ADV? "
            "[die|dead|gone|disappear|vanish|kill|end|not exist|not here|not around|"
            "not alive|never born|stop existing|left forever|never came back|"
            "leave forever|stop breathing]",
            "@NOBODY [would|will|even|really]{0,3} [come to|come|go to|attend|show up at|"
            "show up to|turn up to|cry at] my funeral",
            "[would|will|does|do] [anyone|anybody] @ADV? [even]? [notice|care|miss me] .{0,2} "
            "[if|when] i @ADV? [be|'m]? @ADV? [die|dead|gone|disappear|vanish|kill|"
            "not here|not around]",
        ),
    ),
    # ---------------------------------------------------------------------------- goodbye
    Rule(
        "last_message",
        GOODBYE,
        "A last or final message, words or goodbye; 'you won't see me again'; "
        "'I won't be around much longer'.",
        patterns=(
            "[this|these|it] @ADV? [be|will be|'ll be]? @ADV? [my|the] [last|final] "
            "[message|msg|text|words|goodbye|farewell|time you hear|time you'll hear|"
            "time you will hear|time anyone hears|time you see|time you'll see|"
            "thing you'll hear|thing you will hear|thing i'll say|thing i will say]",
            "[my|a] [last|final] [goodbye|farewell|goodbyes]",
            "my [last|final] words",
            "[last|final] [message|msg|text|words|goodbye] [ever|from me]",
            "[last|final] [night|day|days|morning|hours|sunset|breath] [alive|on earth|"
            "on this earth|in this world|of my life]",
            "[goodbye|bye|farewell] [forever|for ever|for good|cruel world|world|"
            "to the world|to this world|to life]",
            "[this|it] [be] @ADV? [goodbye|farewell|my goodbye|my farewell]",
            "[say|=said|=saying] [my|all my|our] [goodbyes|farewells] [$end|and|to everyone|"
            "to everybody|to the people|already|now]",
            "not .{0,3} be [here|around] [$end]",
            "say @ADV? [my]? [goodbye|goodbyes|farewell|farewells] [to the world|"
            "to this world|to life|to everyone|to everybody|to you all|to all of you|"
            "to the people i love|to my loved ones|forever|for good|before i die|"
            "before i leave this world|before i go for good|before it's too late]",
            "[not|never] [see|hear from] me @ADV? [again|anymore|any more|ever again|"
            "after tonight|after today]",
            "[last|final] time [you|anyone|anybody|u|they|people|you'll|anyone'll] "
            "[will|ever|go to]? [hear from me|see me|hear me|talk to me|speak to me]",
            "by the time [you|anyone|someone|somebody|they|u|people|my family|my] .{0,2} "
            "[read|see|get|find|receive] this",
            "when [you|they|people|my family|someone|anyone] [read|find|see|get] this .{0,2} "
            "[i|i'll|i will|ill] .{0,2} [gone|dead|not be here|not be alive]",
            "not .{0,3} be [here|around] @ADV? [much longer|for much longer|for long|"
            "by morning|by tomorrow|after tonight|after today|to see|next week to|anymore|"
            "any more|any longer|no more|tomorrow to]",
            "not .{0,3} be alive [much longer|for much longer|for long|by|tomorrow|after|"
            "next|anymore|any more|to see|when|$end]",
            "[will|'ll|gonna|go to] be gone [soon|forever|for good|when you|by the time]",
            "[will|'ll|gonna|go to] be dead [by|before|when|soon|tomorrow|tonight]",
        ),
        unless_followed_by=("from the", "at the", "in the", "on the", "for the",
                            "week", "time we", "session", "appointment", "minute",
                            "for a", "for now", "to work", "to the office", "for work",
                            "for holiday", "on holiday", "on vacation", "of the series",
                            "of the season", "of school", "of term", "of the year",
                            "of the month", "of my holiday", "of my trip", "in the office",
                            "at", "because i'm moving", "because we're moving",
                            "because i am moving", "since i'm moving", "i'm moving",
                            "we're moving"),
    ),
    Rule(
        "final_wishes",
        GOODBYE,
        "Last messages for family: 'tell my mum I'm sorry', 'tell them I love them'.",
        patterns=(
            "tell [my|them|him|her|everyone|everybody] .{0,2} [i'm sorry|i am sorry|"
            "i love them|i love her|i love him|i loved them|i loved her|i loved him|"
            "it's not their fault|it was not their fault|it's not your fault|goodbye|"
            "it was not her fault|it was not his fault|it's not her fault|it's not his fault]",
        ),
        followed_by=("$end", "for me", "please", "and", "when", "after"),
    ),
    Rule(
        "farewell_letters",
        GOODBYE,
        "Letters or notes written or left for family or everyone; goodbye letters.",
        patterns=(
            "[%LETTERS|letter|note] [to|for] [each of|every one of|all of] [my|them|you|us]",
            "%LETTERS [to|for] [everyone|everybody] [i love|who|in my family|$end]",
            "[%LETTERS|letter|note] [to|for] [the people i love|those i love|my loved ones|"
            "whoever finds|whoever finds me|my family and|my kids and|my children and|"
            "my family for after|everyone i love]",
            "[write|leave|finish|draft|prepare] @ADV? [some]? %LETTERS [to|for] [my|our] "
            "[family|kids|children|parents|mum|mom|dad|partner|wife|husband|sister|brother|"
            "friends|loved ones|son|daughter|girls|boys|best friend|nan|grandparents|"
            "whole family|little brother|little sister|people]",
            "[goodbye|farewell|suicide] [letter|note|message|video|email|post|%LETTERS]",
            "[letter|note|%LETTERS] .{0,3} [saying goodbye|say goodbye|to read after i|"
            "for after i|after i'm gone|after i die|to be found|when i'm gone|"
            "for when i'm gone|for when i am gone|for when i die|in case i die|"
            "explaining why i did it|explaining why i did this]",
        ),
        unless_followed_by=("of the", "of this", "from the", "in the exam", "for the exam",
                            "in class", "on the", "for class", "for school", "of the day",
                            "of the month", "for work", "on my", "in my diary",
                            "in the post", "for christmas", "for the holidays", "for their",
                            "for her birthday", "for his birthday", "for my birthday",
                            "from camp", "about the", "about my", "for thanksgiving",
                            "for mother's day", "for father's day", "while i", "while we"),
    ),
    Rule(
        "affairs_in_order",
        GOODBYE,
        "Putting affairs in order; giving possessions or pets away.",
        patterns=(
            "affairs in order",
            "[sort|settle|tie up|tying up|finalise|finalize|wrap up|wrapping up] "
            "[my|all my|all of my] affairs",
            "[give|donate] away .{0,2} [my|all my|all of my|most of my|all]? @ADV? "
            "[belonging|possession|thing|stuff|everything|pet|cat|dog|treasure|prized|"
            "valuables|favourite|favorite|guitar|jewelry|jewellery|savings|collection|"
            "cats|dogs]",
            "[give|donate] .{0,2} [my|all my|all of my|most of my] @ADV? [belonging|"
            "possession|thing|stuff|prized|valuables|savings|pet|pets|cat|dog] away",
            "[find|rehome] [a]? [new]? [home|homes|owner|owners] for my [cat|dog|pet|pets|"
            "cats|dogs|animals|rabbit|hamster]",
        ),
        unless_followed_by=("to charity", "to the charity", "to a charity", "to goodwill",
                            "to the library", "to a library", "to the school", "to a school",
                            "to the church", "to a shelter", "to the shelter",
                            "to the charity shop", "to a charity shop", "to the food bank",
                            "before i move", "before we move", "because i am moving",
                            "because i'm moving", "since i'm moving", "because we're moving",
                            "for the move", "for moving", "to make space", "to make room",
                            "i don't need", "i no longer", "that i", "on marketplace",
                            "on facebook", "online", "for free", "at the", "to declutter",
                            "while i", "because we're", "because i'm", "because i am",
                            "as i'm moving", "as we're moving", "when i move", "when we move",
                            "after the baby", "because of my allergy", "because of allergies",
                            "because my landlord", "because of my landlord", "to my niece",
                            "to my nephew", "to my cousin", "to a friend", "i've outgrown",
                            "i have outgrown", "that don't fit", "that no longer fit"),
    ),
    # ------------------------------------------------------------------ danger from others
    Rule(
        "violence_against_me",
        DANGER_FROM_OTHERS,
        "Someone hitting, beating, choking, strangling or attacking me.",
        patterns=(
            "[@INTIMATE|@OTHER_PERSON] .{0,3} @PHYS me",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [push|shove|slam|throw|pin|drag|knock] me "
            "[down|against|over|into the wall|into a wall|into the door|to the ground|"
            "to the floor|on the floor|onto the floor|on the ground|down the stairs|"
            "off the bed|across the room|out of the car|around|about|into the wall|"
            "into a door|out cold|unconscious]",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [burn|cut] me [with|on purpose]",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [pin|hold] me down",
            "[beat|=beaten] me up",
            "=beaten up",
            "beat up by",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [try|want] to [kill|strangle|choke|drown|"
            "suffocate|smother|stab|shoot|poison|run me over|murder|hurt|hit|beat] me",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [nearly|almost] [kill|strangle|choke|drown|"
            "suffocate|murder] me",
            "[his|her|their|@INTIMATE] .{0,2} [hand|hands|fingers|arm|arms|knee|foot] "
            "[around|round|on|against|across] my [neck|throat]",
        ),
        unless_followed_by=("to it", "to the", "at @GAMES", "in a game", "in the game",
                            "in games", "in the race", "in a race", "in an argument",
                            "in the argument", "in the debate", "in a debate", "in the quiz",
                            "in the final", "fair and square", "a coffee", "a drink", "a beer",
                            "some", "lunch", "dinner", "food", "a sandwich", "a snack",
                            "a ticket", "a seat", "off", "out", "a bone", "a curveball",
                            "a curve ball", "a party", "a surprise", "under the bus",
                            "for a loop", "into therapy", "into a decision", "into it",
                            "into going", "into doing", "into taking", "into buying",
                            "with his words", "with her words", "with their words", "verbally",
                            "emotionally", "like a ton", "like a truck", "like a train",
                            "like a wave", "when i realised", "when i realized",
                            "with the news", "with a question", "with questions",
                            "with an idea", "with a bill", "up with", "with so", "with a lot",
                            "with lots", "with loads", "with homework", "with work",
                            "with facts", "with the truth", "with reality", "as",
                            "in the feels", "right in the feels", "up for", "to death"),
    ),
    Rule(
        "violence_against_me_passive",
        DANGER_FROM_OTHERS,
        "Being hit, beaten, choked, attacked, stalked or threatened by someone.",
        patterns=(
            "[be|get|=being] @ADV? [" + _PASSIVE_VIOLENCE + "] [by|at the hands of] "
            "[my|a|an|the|his|her|their|our|some|this]? [@INTIMATE|@OTHER_PERSON|him|her|"
            "them]",
            "[be|get|=being] @ADV? [=beaten|=battered|=kicked|=punched|=whipped|=belted|"
            "=slapped] [up|at home|as a child|as a kid|regularly|every|again|black and blue|"
            "badly|daily|so badly|until|when|$end]",
            # Not "up": "I got choked up" is being moved to tears.
            "[be|get|=being] @ADV? [=choked|=strangled] [at home|as a child|as a kid|"
            "regularly|every|again|badly|daily|so badly|until|when|$end]",
            "[be|get|=being] @ADV? =hit [at home|as a child|as a kid|regularly|every day|"
            "every night|every week|daily|when he|when she|when they|if i|by my]",
            "=being @ADV? [=hit|=beaten|=choked|=strangled|=attacked|=stalked|=followed|"
            "=threatened|=harassed|=blackmailed|=trafficked|=kidnapped|=hurt at home]",
            "[be|get|=being] @ADV? %STALKED",
        ),
        unless_followed_by=("a car", "the car", "a ball", "the ball", "a bike", "a wave",
                            "traffic", "a door", "the door", "by the news", "by a wave",
                            "by my own", "by a bus", "for", "on instagram", "on twitter",
                            "on tiktok", "on social", "on", "by lots of people on",
                            "by people on", "by strangers on", "back", "along", "up on",
                            "up with", "in a game", "in the game", "at the game",
                            "in the final", "in the semi", "by one point", "by a point",
                            "by a few", "at chess", "at cards", "by the idea",
                            "by the thought", "by the realisation", "by the realization",
                            "by my own thoughts", "by thoughts", "by feelings",
                            "by my feelings", "by anxiety", "by my anxiety", "by memories",
                            "by closeness", "by intimacy", "by commitment",
                            "by his success", "by her success", "by their success",
                            "by how", "by what", "about"),
    ),
    Rule(
        "they_will_kill_me",
        DANGER_FROM_OTHERS,
        "Someone close saying, threatening or going to kill me.",
        patterns=(
            "@INTIMATE .{0,3} [kill|murder] me",
            "[threaten|swear|promise|say|warn] .{0,2} [kill|murder] me",
        ),
        unless_followed_by=("with kindness", "with laughter", "with his jokes",
                            "with her jokes", "with their jokes", "softly"),
    ),
    Rule(
        "threats",
        DANGER_FROM_OTHERS,
        "Threats of violence, or someone threatening or going to hurt me or my children.",
        patterns=(
            "threaten .{0,2} [to|2]? @ADV? [kill|hurt|harm|hit|beat|shoot|stab|burn|rape|"
            "kidnap|strangle|choke|attack|murder|take the kids|take my kids|take the children|"
            "take my children|take my son|take my daughter|take my baby|take the baby|"
            "send the pictures|send my pictures|send my nudes|post my nudes|share my nudes|"
            "leak my nudes|post my pictures|share my pictures|leak my pictures|leak|"
            "expose my|break my|smash|destroy me|ruin me|end me|come after me|find me|"
            "hunt me|make me pay|slit|drown|set fire|burn down|hurt himself|hurt herself|"
            "[post|share|leak|send|publish|release|upload|show] [my|the|our|some]? "
            "[photos|pictures|nudes|pics|videos|images|naked|intimate]|"
            "kill himself|kill herself|kill themselves|hurt themself|kill my|hurt my|harm my]",
            "threaten [me|us|my life|my family|my kids|my children|my safety|my son|"
            "my daughter|our lives|our safety]",
            "[death|violent|rape|physical] [threat|threats]",
            "[get|receive] .{0,2} [threat|threats] from",
            "[threat|threats] from [my|him|her|them|someone|somebody|a man|a guy|this guy|"
            "the guy|an ex|his|her]",
            "[make|send] [threats|threat] [to|against|at]",
            "@INTIMATE .{0,3} [will|would|go to|about to|want to|threaten to|try to|might|"
            "could|gonna] @ADV? [hurt|harm|rape|shoot|stab|strangle|choke|attack|beat|hit|"
            "punch|kick|slap|burn|drown|murder|do something to] [me|us|the kids|my kids|"
            "my children|the children|my son|my daughter|my baby|the baby|my family|"
            "my mum|my mom|my dad]",
            "[he|she|they|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mom|"
            "mother|brother|sister|stepdad|stepmum|stepmom|uncle|someone|somebody] .{0,2} "
            "[be|keep|start] @ADV? hurting me",
            "[@INTIMATE|@OTHER_PERSON] hurts me",
            "[hurt|hurts|hurting|hurted] me physically",
            "physically [hurt|harm|abuse|attack|violent|assault] .{0,1} [me|us|my]",
        ),
        unless_followed_by=("with a warning", "with [a|an]? [written|verbal|final|formal|official] "
                            "[warning|warnings]", "with eviction", "with legal", "with court",
                            "with a lawsuit", "with disciplinary", "with the sack",
                            "with a fine", "with detention", "with divorce", "with a bad",
                            "with homework", "with failing", "with my grades",
                            "with a low", "to leave", "to break", "to break up",
                            "to dump", "to quit", "to fire", "to report", "to tell",
                            "to stop talking", "to cancel", "by", "emotionally", "'s feelings",
                            "feelings", "with his words", "with her words", "with words",
                            "so much", "a lot", "deeply", "when he left", "when she left",
                            "when he cheated", "when she cheated", "to leave me", "to end",
                            "to move out", "to kick", "to take away", "with his silence",
                            "with her silence", "the most", "more than"),
    ),
    Rule(
        "unsafe_at_home",
        DANGER_FROM_OTHERS,
        "Not safe at home or around someone; afraid to go home; afraid of a partner or "
        "parent; in danger; fearing for one's life.",
        patterns=(
            "not @ADV{0,2} [feel|be|ever feel]? @ADV? safe [at|in] [home|my home|my house|"
            "my own home|this house|our house|the house|my flat|my apartment|my room|"
            "my own house|here|my own bed|my bed]",
            "not @ADV{0,2} [feel|be]? @ADV? safe [around|with|near|living with|from] "
            "[him|her|them|my @INTIMATE|my @OTHER_PERSON]",
            "[i|me|we|kids|children] @ADV? [be|feel]? not @ADV? safe",
            "[i|we] [do|be]? not [feel]? @ADV? safe [right now|now|anymore|any more|tonight|"
            "here|at all|$end]",
            "unsafe [at|in|around|with|near|living with] [home|my|him|her|them|this house|"
            "the house]",
            "[home|my house|my home|the house|our house|my flat|our flat|our home|my place] "
            "@ADV? [be|feel] not @ADV? safe",
            "[home|my house|my home|the house|our house|my flat|our home] @ADV? [be|feel] "
            "@ADV? unsafe",
            "[feel|be] unsafe @ADV? [$end|at home|around|with]",
            "[scared|afraid|terrified|frightened|petrified|fear|fearful|worried] @ADV? "
            "[to|of] [go|be|return|stay|get] [back]? home",
            "[scared|afraid|terrified|frightened|petrified] @ADV? of [him|my @INTIMATE]",
            "[scared|afraid|terrified|frightened|petrified|fear|worried] [of|about] what "
            "[he|she|they|my @INTIMATE|him] .{0,2} [do|will do|'ll do|might do|would do|"
            "could do|go to do|gonna do] [to me|to us|to the kids|to my|next|when|if|$end]",
            "[fear|scared|afraid|terrified|frightened|worried] for [my|our|the kids'|"
            "my kids'|my children's] [life|lives|safety]",
            "[i|we|kids|children|family|life|son|daughter|baby|me] @ADV? [be|feel] "
            "@ADV? in [danger|immediate danger|real danger|serious danger]",
            "in [immediate|real|serious|grave|mortal] danger",
            "[fear|scared|afraid] for my life",
            "[lock|locked] me [in|up|inside|in the|in my|in a]",
            "not @ADV? [let|allow] me [leave|leave the house|go home|go anywhere|out of the house|"
            "out of his sight|out of her sight]",
            "[keep|hold] me [locked|trapped|prisoner|hostage|captive|against my will]",
            "[stalk] [me|us]",
            "[a|my|have a|got a] stalker",
            "[someone|somebody|he|she|they|man|guy|men|stranger|ex|stalker|person|car|van] "
            ".{0,2} [follow] me [home|to|from|everywhere|around|at night|back home|"
            "down the street|after|and]",
            "[@INTIMATE|@OTHER_PERSON] .{0,2} [be|keep] @ADV? [stalking|harassing|"
            "threatening|attacking|hunting|blackmailing|following] me",
            "[harass|blackmail|extort|sextort] [me|us]",
            "sextortion",
            "[@INTIMATE] .{0,2} [be|get|become|turn|can be] @ADV{0,2} [violent|"
            "physically violent|physical with me]",
            "[domestic|family|intimate partner] [violence|abuse|abuser]",
            "violent [partner|husband|wife|boyfriend|girlfriend|dad|father|mum|mom|mother|"
            "home|household|relationship|ex|stepdad|stepfather|brother|sister|parent|"
            "parents]",
            "violence at home",
            "hide from [him|her]",
        ),
        unless_followed_by=("%ING", "'s", "not", "leave", "finding", "find out", "reaction",
                            "think", "say", "judge", "left", "emotionally", "to open",
                            "to share", "to be vulnerable", "to talk", "to cry", "to say",
                            "to tell", "opening up", "being vulnerable", "expressing",
                            "telling", "talking about", "about", "to express",
                            "in relationships", "in a relationship", "in love",
                            "with my feelings", "of abandonment", "on instagram",
                            "on twitter", "on tiktok", "on social media", "online",
                            "on facebook", "on linkedin", "up", "is", "might",
                            "will think", "would think", "will say", "would say",
                            "will leave", "would leave", "might leave", "'ll leave",
                            "'ll think", "'ll say", "of failing", "of losing",
                            "of being", "of getting", "of %ING", "feelings", "emotions",
                            "thoughts", "body", "own thoughts", "own", "in a surprise",
                            "with a surprise", "to tell me", "a present", "a gift",
                            "till the", "until the", "to drive", "driving", "behind the wheel",
                            "to be around people", "in crowds", "with money", "with a knife",
                            "with knives", "in the kitchen", "on the road", "on the roads",
                            "being"),
    ),
    Rule(
        "weapon_at_home",
        DANGER_FROM_OTHERS,
        "Someone close with a gun or knife, or pointing a weapon at me.",
        patterns=(
            "[@INTIMATE|@OTHER_PERSON] .{0,2} [pull|point|hold|wave|grab|brandish|threaten] "
            ".{0,2} [gun|knife|weapon|blade|machete]",
            "[@INTIMATE] .{0,2} [have|got|keep|own] [a|his|her|the|a loaded]? [gun|firearm|"
            "pistol|rifle|shotgun]",
            "[@INTIMATE] .{0,2} [have|got] [a|his|her|the] [knife|blade|machete|weapon] "
            "[and|$end|in his hand|in her hand|on him|on her|with him|with her|again|now|"
            "pointed|right now]",
            "[gun|knife|weapon|blade] [to|at|against] [my|me] [head|throat|neck|chest|face|"
            "me|back]",
            "[pull|point|hold] [a|the|his|her] [gun|knife] on me",
            "[@INTIMATE] .{0,4} with [a|his|her|the] [knife|gun|weapon|machete|blade]",
        ),
        unless_followed_by=("collection", "collections", "cabinet", "safe", "licence",
                            "license", "club", "for hunting", "for work", "for shooting",
                            "for sport", "shop", "store", "range", "set", "block", "drawer",
                            "to cut", "to chop", "to slice", "and fork", "and a fork"),
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
                            "ketamine", "spice", "laxative", "caffeine", "sugar", "privilege",
                            "system", "policy", "benefit", "benefits", "welfare", "drugs",
                            "substances"),
        unless_followed_by=("alcohol", "drugs", "drug", "substances", "substance", "drink",
                            "drinks", "drinking", "pills", "painkillers", "cannabis", "weed",
                            "of alcohol", "of drugs", "of substances", "of painkillers",
                            "of pills", "of privilege", "of the system", "of process",
                            "my privileges", "the system", "caffeine", "sugar", "laxatives",
                            "ketamine", "cocaine", "heroin", "prescription", "opioids",
                            "the return policy", "the policy", "my body with",
                            "the word", "the term", "the label", "that word"),
    ),
    Rule(
        "sexual_violence",
        ABUSE,
        "Rape, sexual assault, molestation, groping, incest, sexual coercion, "
        "sextortion.",
        patterns=(
            "%RAPE",
            "%MOLEST",
            "%GROPE",
            "%INCEST",
            "[sexually|sexual] [assault|abuse|harass|harassment|violence|=violated|exploit|"
            "exploitation|coerce|coercion|touch|attack|hurt]",
            "assault me",
            "[be|get|=being] @ADV? =assaulted",
            "[@INTIMATE|@OTHER_PERSON] .{0,3} touch me",
            "touch me [inappropriately|down there|sexually|without|in places|where|under|"
            "at night|when i|while i|in my sleep|in private]",
            "touch [inappropriately|sexually]",
            "=touched as a [child|kid|little girl|little boy|teenager|teen]",
            "[force|make|pressure|coerce] me [into|to]? [have sex|having sex|sex|sleep with|"
            "do sexual|touch him|touch her|touch his|send nudes|send naked|"
            "send pictures of myself|watch porn|take my clothes off|undress|get naked|"
            "perform sexual|perform oral|give him oral]",
            "force [himself|herself|themselves|themself] [on|onto] me",
            "[sex|sexual|touch|sleep with me|have sex with me] .{0,4} [without my consent|"
            "without consent|when i said no|after i said no|even though i said no|"
            "although i said no|while i was asleep|while i was unconscious|"
            "when i was asleep|when i was passed out|while i was passed out|"
            "when i was unconscious|when i was too drunk|while i was drunk|when i was drunk]",
            "groom [me|her|him]",
            "[be|get|=being] @ADV? =groomed",
            "=grooming [me|my son|my daughter|my kid|my child|kids|children|a child|a kid]",
            "[nudes|naked pictures|naked photos|intimate pictures|intimate photos|"
            "intimate images|my pictures|my photos] .{0,3} [threaten|share|leak|post|"
            "blackmail]",
            "[child|children|kid|kids] [abuse|neglect|endangerment|porn|pornography|"
            "exploitation|sexual abuse|trafficking]",
            "csam",
        ),
        unless_followed_by=("seed", "seeds", "oil", "rifle", "rifles", "weapon", "weapons",
                            "course", "on my senses", "on the senses", "anymore", "any more",
                            "lovingly", "gently", "affectionately", "like he used to",
                            "like she used to", "the way", "enough", "on the arm",
                            "on the shoulder", "on the back", "on my arm", "on my shoulder",
                            "on my back", "for a promotion", "for the role", "for the job",
                            "for leadership", "for success", "to take over",
                            "for management"),
    ),
    Rule(
        "child_being_hurt",
        ABUSE,
        "Someone hitting, hurting, touching or abusing a child.",
        patterns=(
            "[@INTIMATE|@OTHER_PERSON] .{0,3} [hit|beat|punch|kick|slap|choke|strangle|"
            "smack|shove|throttle|bruise|attack|stab|burn|hurt|touch|molest|abuse|rape|whip|"
            "batter|starve|lock|shake|=shook] [my|our|the|his|her|their|a|this|that|these|"
            "those] @ADV? [little|baby|young|youngest|eldest|oldest|3|4|5|6|7|8|9|10|11|12|"
            "13|14|15|16|two|three|four|five|six|seven|eight|nine]? [year|yr|month]? [old]? "
            "[@CHILD]",
            "[@CHILD] .{0,3} [be|get|=being] @ADV? [=abused|=molested|=raped|=touched|"
            "=beaten|=hit|=attacked|=assaulted|=burned|=burnt|=locked|=starved|=whipped|"
            "=choked|=strangled|=shaken|=groomed|=neglected|=trafficked|=hurt by]",
            "[=hit|=hits|=beat|=beats|=abuse|=abuses|=molest|=molests|=whip|=whips|=choke|"
            "=chokes|=shake|=shakes|=starve|=starves] "
            "[the|my|our] [kid|kids|child|children|baby|son|daughter] [when|every|at night|"
            "too|$end]",
            "[child|kid|baby|toddler|children|kids] [be]? [in danger|at risk|not safe|unsafe]",
        ),
        unless_followed_by=("'s feelings", "'s feeling", "feelings", "by", "emotionally",
                            "'s heart", "'s hair", "'s pride", "pride", "at football",
                            "at soccer", "playing", "in the playground", "at the playground",
                            "during practice", "during the game", "at practice", "at training",
                            "in a game", "in the game", "at the park", "on the bike",
                            "on the trampoline", "on the swing", "falling", "off the",
                            "'s ball", "with a ball", "with the ball", "'s toy", "toys",
                            "back", "'s birthday", "gently", "lightly", "goodnight",
                            "good night", "hello", "to say", "'s nose", "'s hand", "'s cheek",
                            "'s shoulder", "'s bed", "'s room", "'s stuff", "'s things",
                            "by a car", "by a ball", "by a bike", "by the ball", "by a door",
                            "'s head gently", "'s face", "'s forehead", "'s back",
                            "on the shoulder", "on the head", "on the back", "on the cheek",
                            "in the bath", "'s arm", "to sleep", "'s", "with a pillow fight",
                            "in a pillow fight", "in a snowball", "with a snowball",
                            "out of the house", "out", "in the car while", "in his room",
                            "in her room", "in their room", "of", "with"),
    ),
)

#: Benign figures of speech: a crisis match that overlaps one of these does not fire.
#: Each must be narrow enough never to cover a real disclosure (the tests check that
#: every crisis example still fires).
BENIGN_IDIOMS: Tuple[Rule, ...] = (
    Rule(
        "killing_me",
        BENIGN,
        "'X is killing me', 'killing it/time', 'kill for a coffee', 'that joke killed'.",
        patterns=(
            "=killing me",
            "[kill|killing] [it|time|the vibe|the mood|the game]",
            "[could|would|'d|will|'ll|might] @ADV? kill for",
            "=killed it",
            "[joke|jokes|that|this|it|comedian|show|episode|line|punchline|meme|video|"
            "story|film|movie|set|gig|routine|sketch|pun|puns] @ADV? [=killed|=kills] [me|it|$end]",
            "dressed to kill",
            "killer [workout|heels|outfit|view|app|feature|deal|smile|track|song|joke|"
            "performance|combo|game|move|instinct|bod|body|look|looks|line|lines]",
            "time to kill",
            "[kill|killing|=killed] @REFL [laughing|with laughter]",
        ),
    ),
    Rule(
        "dying_to",
        BENIGN,
        "'dying to know', 'dying for a coffee', 'to die for', 'died laughing', "
        "'die of embarrassment'.",
        patterns=(
            "=dying [to|for|of|2]",
            "to die for",
            "[die|dead|death] @ADV? [laughing|laughter|of laughter|from laughter|"
            "of embarrassment|of cringe|of shame|of boredom|of cuteness|of happiness|"
            "of excitement|of curiosity|of suspense|of anticipation|of heat|of envy|"
            "of jealousy|of thirst|of hunger|of fright|of old age|of natural causes]",
            "[die|dead] [of|from] @ADV? [@BENIGN_CAUSE]",
            "[nearly|almost|practically|literally|basically] [die|dead] [laughing|"
            "of laughter|from laughter|lol|lmao|haha|when i saw|when i heard|when i read]",
            "[bored|scared|worried|frightened|tickled] to death",
            "[die|=dye|=dyed|=dyeing|=dying] [my|her|his|their|the] hair",
            "die hard",
            "diehard",
            "do or die",
            "never say die",
            "[could|would|'d|will|'ll|might] @ADV? die for [you|him|her|them|my|a|some|this|that]",
        ),
    ),
    Rule(
        "dead_as_intensifier",
        BENIGN,
        "'dead tired', 'dead serious', 'over my dead body', 'drop dead gorgeous', "
        "'my phone is dead'.",
        patterns=(
            "dead [tired|serious|ringer|giveaway|centre|center|heat|exhausted|beat|broke|"
            "set on|certain|on arrival]",
            "over my dead body",
            "drop dead [gorgeous|beautiful|handsome]",
            "[phone|battery|laptop|car|plant|plants|houseplant|wifi|internet|conversation|"
            "party|town|chat|group chat|bar|club|thread|server|game|lawn|grass] @ADV? "
            "[be|go|just] @ADV? dead",
            "[phone|battery|laptop|car|plant|plants|wifi|internet|conversation] .{0,2} die",
            "deadline",
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
            "[shoot|=shot|=shooting] @REFL in the foot",
            "[beat|=beating|=beats] @REFL up",
            "[cut|=cutting] @REFL [some slack|a break|off|short|loose|free|a slice|a piece|"
            "out of]",
            "[burn|=burned|=burnt|=burning] @REFL out",
            "[kick|=kicking|=kicked] @REFL",
            "[hang|=hung|=hanging] @REFL out to dry",
            "[stab|=stabbed|=stabbing] [me|him|her|them|you] in the back",
            "[work|=worked|=working|worry|=worried|=worrying|stress|=stressed|bore|=bored|"
            "laugh|=laughed] @REFL [to death|sick|silly|stupid]",
            "[hurt|=hurting] @REFL [laughing|from laughing]",
        ),
    ),
    Rule(
        "hit_idioms",
        BENIGN,
        "'hit me up', 'beat me to it', 'beat me at chess', 'threw me off', 'kicked me out'.",
        patterns=(
            "hit me up",
            "[hit|=hits|=hitting] me [with a question|like a ton|like a truck|like a train|"
            "like a wave|like a brick|all at once|in the feels|right in the feels|"
            "right in the heart]",
            "beat me [to it|to the punch|to the finish|at @GAMES|in a game|in the game|"
            "in a race|in the race|in the final|in an argument|in the quiz|fair and square]",
            "[throw|=threw|=thrown|=throws] me [off guard|off balance|off track|off my game|"
            "a curveball|a curve ball|a party|a bone|for a loop|under the bus]",
            "[kick|=kicked|=kicks|=kicking] me [out|off]",
            "[grab|=grabbed] me [a|an|some|coffee|lunch|food|one]",
            "[push|=pushes|=pushed|=pushing] me [away|forward|out of my comfort zone|to be|"
            "to do|to try|to grow|to change|to succeed|to study|to work|towards|toward]",
            "[smother|=smothers|=smothered|=smothering|suffocate|=suffocates|=suffocated|"
            "=suffocating] me",
            "[emotionally|verbally] @ADV? [safe|unsafe]",
            "[water|nerf|glue|toy|paintball|airsoft|staple|nail|heat|spray|massage|squirt|bb|"
            "cap|laser|foam|starting|radar|speed|hot glue|tattoo|caulk|caulking|grease|"
            "soldering|bubble|confetti] gun",
            "[jump|=jumped|=jumping] the gun",
            "pull the trigger on",
            "[top|=topped] myself up",
            "[never|not|barely|rarely|hardly|no longer|stop|=stopped] @ADV? [touch|=touching] me",
        ),
    ),
)

# --------------------------------------------------------------------------------------
# Fixed expressions for the PhraseMatcher (matched on LOWER). Only expressions that are
# unambiguous as they stand: they have no context exceptions.
# --------------------------------------------------------------------------------------

PHRASES: Dict[str, Tuple[str, ...]] = {
    "fixed_suicidal_ideation": (
        "better off dead", "no reason to live", "nothing to live for", "not worth living",
        "commit suicide", "committing suicide", "commiting suicide", "unalive myself",
        "kill myself", "killing myself", "end my life", "ending my life",
    ),
    "fixed_goodbye": (
        "this is my last message", "goodbye cruel world", "by the time you read this",
        "affairs in order", "my final goodbye", "my last goodbye",
    ),
    "fixed_danger": ("domestic violence", "domestic abuse", "not safe at home",
                     "fear for my life"),
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
            if not spec:
                continue
            word = _QUANTIFIER.match(spec).group("body").lstrip("=")
            if not word or word[0] in "@%#.${":
                continue
            word = word.translate(_APOSTROPHES).lower()
            if word not in known:
                known[word] = word
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
        """A JSON-friendly summary (never the user's text)."""
        return {"rule": self.rule, "category": self.category}


_CATEGORY_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}

_ContextSeqs = Tuple[List[Optional[TokenTest]], ...]


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    unless_followed_by: _ContextSeqs
    unless_preceded_by: _ContextSeqs
    followed_by: _ContextSeqs
    unless_soon_after: FrozenSet[str] = frozenset()


def _compile_contexts(contexts: Sequence[str]) -> _ContextSeqs:
    return tuple(seq for context in contexts for seq in compile_context(context))


class CrisisDetector:
    """Finds crisis disclosures in spaCy docs with curated rules.

    Construct it once per spaCy ``Language`` (compiling the rules takes about a second)
    and reuse it; ``detect`` is cheap.

    Args:
        nlp: The ``Language`` whose vocabulary and tokenizer the rules are compiled with:
            ``spacy.load("en_core_web_sm")`` or a blank ``spacy.blank("en")`` (the rules
            do not need a tagger). Docs given to ``detect`` may come from any English
            spaCy pipeline (the matchers compare string hashes, which do not depend on
            the vocabulary); ``detect_text`` uses ``nlp`` itself.
        validate: Validate every compiled pattern against spaCy's schema (slow; the
            tests do it once).
    """

    def __init__(self, nlp: Language, validate: bool = False) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self._nlp = nlp
        self._matcher = Matcher(nlp.vocab, validate=validate)
        self._phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._compiled: Dict[int, _Compiled] = {}
        for rule in ALL_RULES:
            plain: List[List[Dict[str, object]]] = []
            at_end: List[List[Dict[str, object]]] = []
            for pattern in rule.patterns:
                p, e = compile_pattern(pattern)
                plain.extend(p)
                at_end.extend(e)
            compiled = _Compiled(
                rule,
                _compile_contexts(rule.unless_followed_by),
                _compile_contexts(rule.unless_preceded_by),
                _compile_contexts(rule.followed_by),
                frozenset(_norm_word(w) for w in rule.unless_soon_after),
            )
            if plain or rule.phrases:
                name = f"secure_base_crisis:{rule.name}"
                self._register(name, compiled)
                if plain:
                    self._matcher.add(name, plain)
                if rule.phrases:
                    variants = sorted(
                        {v for ph in rule.phrases for v in (ph, ph.replace("'", "\u2019"))}
                    )
                    self._phrase_matcher.add(name, [nlp.make_doc(v) for v in variants])
            if at_end:
                end_only = _Compiled(
                    rule,
                    compiled.unless_followed_by,
                    compiled.unless_preceded_by,
                    ([None],),
                    compiled.unless_soon_after,
                )
                name = f"secure_base_crisis:{rule.name}$end"
                self._register(name, end_only)
                self._matcher.add(name, at_end)

    def _register(self, name: str, compiled: _Compiled) -> int:
        key = self._nlp.vocab.strings.add(name)
        if key in self._compiled:
            raise ValueError(f"duplicate rule name {name}")
        self._compiled[key] = compiled
        return key

    @classmethod
    def from_nlp(cls, nlp: Language) -> CrisisDetector:
        """A detector for ``nlp`` (same as the constructor)."""
        return cls(nlp)

    @classmethod
    def blank(cls, vocab: Optional[Vocab] = None) -> CrisisDetector:
        """A detector on a blank English tokenizer: loads no model, downloads nothing.

        Args:
            vocab: Share this vocabulary (e.g. the one of the docs it will see).
        """
        import spacy

        nlp = spacy.blank("en", vocab=vocab) if vocab is not None else spacy.blank("en")
        return cls(nlp)

    @property
    def nlp(self) -> Language:
        """The ``Language`` the rules were compiled with."""
        return self._nlp

    def detect(self, doc: Doc) -> Optional[CrisisMatch]:
        """The most urgent crisis match in ``doc``, or ``None``."""
        matches = self.detect_all(doc)
        return matches[0] if matches else None

    def detect_text(self, text: Optional[str]) -> Optional[CrisisMatch]:
        """Runs the detector's own pipeline on ``text`` and detects (``None`` if empty)."""
        if not text or not text.strip():
            return None
        return self.detect(self._nlp(text))

    def detect_all(self, doc: Doc) -> List[CrisisMatch]:
        """Every crisis match that survives the exclusions, most urgent first."""
        if len(doc) == 0:
            return []
        doc = normalised_copy(doc)
        raw = list(self._matcher(doc)) + list(self._phrase_matcher(doc))
        benign: List[Tuple[int, int]] = []
        candidates: List[Tuple[_Compiled, int, int]] = []
        for key, start, end in raw:
            compiled = self._compiled[key]
            if compiled.rule.category == BENIGN:
                benign.append((start, end))
            else:
                candidates.append((compiled, start, end))
        found: Dict[Tuple[str, int, int], CrisisMatch] = {}
        for compiled, start, end in candidates:
            if any(start < b_end and b_start < end for b_start, b_end in benign):
                continue
            if not _context_allows(compiled, doc, start, end):
                continue
            span = doc[start:end]
            found[(compiled.rule.name, start, end)] = CrisisMatch(
                compiled.rule.name, compiled.rule.category, span.start_char, span.end_char
            )
        return sorted(
            found.values(),
            key=lambda m: (_CATEGORY_RANK.get(m.category, 99), m.start_char, m.rule),
        )

    def benign_spans(self, doc: Doc) -> List[Tuple[str, int, int]]:
        """The benign idioms found in ``doc`` as ``(rule, start_char, end_char)``."""
        spans: List[Tuple[str, int, int]] = []
        if len(doc) == 0:
            return spans
        doc = normalised_copy(doc)
        for key, start, end in list(self._matcher(doc)) + list(self._phrase_matcher(doc)):
            compiled = self._compiled[key]
            if compiled.rule.category == BENIGN:
                span = doc[start:end]
                spans.append((compiled.rule.name, span.start_char, span.end_char))
        return spans


def _context_allows(compiled: _Compiled, doc: Doc, start: int, end: int) -> bool:
    for tests in compiled.unless_followed_by:
        if _sequence_at(doc, end, tests, 1):
            return False
    for tests in compiled.unless_preceded_by:
        if _sequence_at(doc, start - 1, tests, -1):
            return False
    if compiled.unless_soon_after:
        for token in doc[end : end + SOON_AFTER_WINDOW]:
            if token.is_punct:
                break
            if token.norm_ in compiled.unless_soon_after:
                return False
    if compiled.followed_by:
        return any(_sequence_at(doc, end, tests, 1) for tests in compiled.followed_by)
    return True
