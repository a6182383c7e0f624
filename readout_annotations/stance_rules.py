"""Rule-based stance proposals: which targets a statement takes a side on, and which side.

Pure functions over plain strings; :mod:`readout_annotations.proposers` reads the database and
writes the results. The rules (docs/stances.md has the full account, with the figures):

**Targets found.** Every known target's name and aliases are matched in the statement after
*folding* both sides the same way: lower case, any hyphen or dash and any run of whitespace is one
space, full stops are dropped ("China-U.S. relations" finds "China-US relations"), curly
apostrophes are straight, a leading "the" of a name is optional. Latin names match as whole words,
Chinese names as substrings. At one place the longest name wins, so a statement naming
"China-U.S. cooperation on climate change" gets that target and not also "climate change" from
inside it (the guideline's most specific target); a parent still gets its own stance where the
statement names it elsewhere.

**Relationships.** A target named "A-B relations" (or "relationship", "ties") stands for the
relationship of the two countries in any order and wording: "Japan-China relations",
"Russian-Chinese relations", "relations between the United States and Lebanon", "中美关系",
"bilateral ties", "the two countries", "两国关系", or both countries named in a sentence about
cooperation ("China is ready to work with France ..."). Generic wordings ("bilateral relations")
take the pair of the speaker's country (:attr:`Context.speaker_countries`, a group's members' countries) and the
other country the readout names most recently.

**The side.** The nearest *cue* before the target in the statement decides: a cue of favor
("support", "welcome", "congratulate", "commit to", "importance of", "call for", "欢迎", ...),
of against ("oppose", "reject", "condemn", "stop", "end", "lift", "abandon", "break away",
"confronting", "停止", "不要", ...) or of none ("discussed", "talk about", "regarding",
"exchanged views", "priorities including", "密切关注", ...). A negation between the cue and the
target ("should not support", "no nation ... should enjoy") turns favor into against. A target
qualified by a word of blame ("erroneous", "aggression", "illegal") is against. Without a cue,
speech is in favor of what it names (readouts report positions, and "China-Belarus friendship is
unbreakable" is favor). Country and region targets named by a bare name ("China", "the Sahel") are
read only where a none cue frames them (topics discussed); praise of a country's role is found
through the target's own wordings.

**Cold start.** :mod:`readout_annotations.lexicon` adds the starter targets (keyed by
:class:`NewTarget`) to the index after the database's. :func:`propose_targets` proposes new
targets where no confirmed one is found (:class:`ReadoutStances` runs both, statement by
statement): the relationship of the pair above, named one way (:data:`PAIR_ORDER`), and the noun
phrase that is the object of a stance predicate ("support for Ukraine", "the immediate lifting of
import restrictions"), shaped as a target name (:func:`_shape_object`), with its slug
(:func:`target_slug`).

Each :class:`StanceProposal` keeps the rule it came from and the words it rests on (its
:attr:`~StanceProposal.note`, stored in ``Stance.note``). Offsets are code points of the text
given. Every pattern here is a flat alternation of literals or a tokenising loop, so matching is
linear in the length of the statement (tests/test_stance_rules.py feeds adversarial inputs).
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.text import slugify

#: Stored in the built-in proposer's ``machine_version``; bump it when the rules change.
VERSION = "2"

FAVOR = "favor"
AGAINST = "against"
NONE = "none"

# --------------------------------------------------------------------------- folding

_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad")
_QUOTES = frozenset('"\u201c\u201d\u201e\u00ab\u00bb\u300c\u300d')
_APOSTROPHES = frozenset("\u2019\u2018\u02bc")


def _phrases(text: str) -> tuple[str, ...]:
    """The comma-separated phrases of a word list written as one string (any whitespace run is one space)."""
    return tuple(" ".join(p.split()) for p in text.split(",") if p.strip())


def fold(text: str) -> tuple[str, list[int]]:
    """``(folded, positions)``: ``folded`` is ``text`` lower-cased with dashes, quotation marks
    and whitespace runs as one space, full stops dropped and curly apostrophes straight, and the
    abbreviation "US"/"U.S." written ``usa`` (so that it is not the pronoun "us");
    ``positions[i]`` is the code-point offset in ``text`` of ``folded[i]`` (one more entry, the
    end). One pass, linear."""
    out: list[str] = []
    positions: list[int] = []
    skip = -1
    for i, ch in enumerate(text):
        if i <= skip:
            continue
        if ch == "U" and (us := _us_at(text, i)):
            out.extend("usa")
            positions.extend((i, i, us))
            skip = us
            continue
        if ch == ".":
            continue
        if ch in _DASHES or ch in _QUOTES or ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                positions.append(i)
            continue
        if ch in _APOSTROPHES:
            ch = "'"
        out.append(ch.lower() if len(ch.lower()) == 1 else ch)
        positions.append(i)
    positions.append(len(text))
    return "".join(out), positions


#: "US" or "U.S." as a word (no letter or digit on either side), as ``_us_at`` reads it.
_US_RE = re.compile(r"(?<![^\W_])U\.?S(?![^\W_])")
_SPACE_RUN_RE = re.compile(r"\s+")
_FOLD_TABLE = str.maketrans({".": None, **dict.fromkeys(_DASHES | _QUOTES, " "), **dict.fromkeys(_APOSTROPHES, "'")})


def folded(text: str) -> str:
    """``fold(text)[0]`` without the positions, in a few passes of C code rather than one of
    Python per character (a 2 MB readout: milliseconds instead of seconds). Falls back to
    ``fold`` where lower-casing the whole string could differ from lower-casing each character
    (a capital sigma, or a character whose lower case is longer)."""
    lowered = text.lower()
    if len(lowered) != len(text) or "\u03a3" in text:
        return fold(text)[0]
    lowered = _US_RE.sub("usa", text).lower().translate(_FOLD_TABLE)
    return _SPACE_RUN_RE.sub(" ", lowered).lstrip(" ")


#: ``fold`` of the statement at hand: ``find_stances`` and ``propose_targets`` fold the same text
#: one after the other (the result is shared: read it, never change it).
_fold_statement = functools.lru_cache(maxsize=4)(fold)


def _us_at(text: str, i: int) -> int:
    """The offset of the final "S" where "US" or "U.S." starts at ``i`` as a word, else 0."""
    if i > 0 and text[i - 1].isalnum():
        return 0
    end = i + 1 if text[i + 1 : i + 2] == "S" else i + 2 if text[i + 1 : i + 3] == ".S" else 0
    if not end or (end + 1 < len(text) and text[end + 1].isalnum()):
        return 0
    return end


def fold_name(name: str) -> str:
    """A name folded for matching, without the leading "the" and outer spaces."""
    folded = fold(name)[0].strip(" ,;:")
    if folded.startswith("the "):
        folded = folded[4:]
    return folded


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _literal_pattern(phrases: Iterable[str]) -> re.Pattern | None:
    """One pattern for folded literals: at each position the longest phrase that matches; Latin
    ends match at word boundaries.

    Written as a trie (``china|chinese`` as ``chin(?:ese|a)``), deeper branches first, so that
    a position costs the length of the longest phrase rather than the number of phrases; the
    boundary before a Latin phrase follows its first letter, so that the search skips
    positions no phrase starts with. Matches as the alternation of the phrases, longest first.
    """
    trie: dict = {}
    for phrase in set(phrases):
        if phrase:
            node = trie
            for ch in phrase:
                node = node.setdefault(ch, {})
            node[""] = {}
    return re.compile(_trie_pattern(trie, "")) if trie else None


def _trie_pattern(node: dict, last: str) -> str:
    """The alternatives below ``node`` (reached by the character ``last``; "" at the root)."""
    branches = []
    for ch in sorted(k for k in node if k):
        head = re.escape(ch)
        if not last and _is_latin(ch):
            head += f"(?<![a-z0-9]{head})"
        branches.append(head + _trie_pattern(node[ch], ch))
    if "" in node:  # a phrase ends here: after every longer one
        branches.append(r"(?![a-z0-9])" if _is_latin(last) else "")
    if len(branches) == 1 and last:
        return branches[0]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


# --------------------------------------------------------------------------- countries

#: Canonical country names (as they appear in target names and slugs) and the texts' wordings:
#: names, demonyms, abbreviations and Chinese forms. Single Chinese characters only count inside
#: the paired forms ("中美关系", "对华").
COUNTRIES: dict[str, tuple[str, ...]] = {
    "China": ("china", "chinese", "prc", "people's republic of china", "中国", "中國", "中方", "华", "中"),
    "US": ("usa", "united states", "united states of america", "america", "american", "美国", "美國", "美方", "美"),
    "UK": ("uk", "united kingdom", "britain", "great britain", "british", "英国", "英國", "英方", "英"),
    "France": ("france", "french", "法国", "法國", "法方", "法"),
    "Germany": ("germany", "german", "德国", "德國", "德方", "德"),
    "Japan": ("japan", "japanese", "日本", "日方", "日"),
    "Russia": ("russia", "russian", "russian federation", "俄罗斯", "俄羅斯", "俄方", "俄"),
    "ROK": ("rok", "republic of korea", "south korea", "韩国", "韓國", "韩方", "韩"),
    "DPRK": ("dprk", "north korea", "democratic people's republic of korea", "朝鲜", "朝"),
    "EU": ("eu", "european union", "欧盟", "歐盟", "欧"),
    "India": ("india", "indian", "印度"),
    "Canada": ("canada", "canadian", "加拿大"),
    "Mexico": ("mexico", "mexican", "墨西哥"),
    "Australia": ("australia", "australian", "澳大利亚", "澳"),
    "Italy": ("italy", "italian", "意大利"),
    "Spain": ("spain", "spanish", "西班牙"),
    "Ukraine": ("ukraine", "ukrainian", "乌克兰", "烏克蘭"),
    "Israel": ("israel", "israeli", "以色列"),
    "Iran": ("iran", "iranian", "伊朗"),
    "Lebanon": ("lebanon", "lebanese", "黎巴嫩"),
    "Syria": ("syria", "syrian", "叙利亚"),
    "Lithuania": ("lithuania", "lithuanian", "立陶宛"),
    "Slovakia": ("slovakia", "slovakian", "slovak", "斯洛伐克"),
    "Latvia": ("latvia", "latvian", "拉脱维亚"),
    "Belarus": ("belarus", "belarusian", "白俄罗斯", "白俄羅斯", "白"),
    "Poland": ("poland", "polish", "波兰"),
    "Hungary": ("hungary", "hungarian", "匈牙利"),
    "Serbia": ("serbia", "serbian", "塞尔维亚"),
    "Kazakhstan": ("kazakhstan", "kazakh", "哈萨克斯坦"),
    "Pakistan": ("pakistan", "pakistani", "巴基斯坦"),
    "Brazil": ("brazil", "brazilian", "巴西"),
    "South Africa": ("south africa", "south african", "南非"),
    "Indonesia": ("indonesia", "indonesian", "印度尼西亚", "印尼"),
    "Vietnam": ("vietnam", "viet nam", "vietnamese", "越南"),
    "Philippines": ("philippines", "philippine", "filipino", "菲律宾"),
    "Singapore": ("singapore", "singaporean", "新加坡"),
    "Saudi Arabia": ("saudi arabia", "saudi", "沙特"),
    "Turkey": ("turkey", "turkish", "türkiye", "土耳其"),
    "Egypt": ("egypt", "egyptian", "埃及"),
    "Greece": ("greece", "greek", "希腊"),
    "Netherlands": ("netherlands", "dutch", "荷兰"),
    "Switzerland": ("switzerland", "swiss", "瑞士"),
    "Norway": ("norway", "norwegian", "挪威"),
    "New Zealand": ("new zealand", "新西兰"),
    "Argentina": ("argentina", "argentine", "阿根廷"),
    "Nigeria": ("nigeria", "nigerian", "尼日利亚"),
    "Kenya": ("kenya", "kenyan", "肯尼亚"),
    "Ethiopia": ("ethiopia", "ethiopian", "埃塞俄比亚"),
    "Thailand": ("thailand", "thai", "泰国"),
    "Malaysia": ("malaysia", "malaysian", "马来西亚"),
    "Mongolia": ("mongolia", "mongolian", "蒙古"),
    "Cuba": ("cuba", "cuban", "古巴"),
    "Venezuela": ("venezuela", "venezuelan", "委内瑞拉"),
    "Afghanistan": ("afghanistan", "afghan", "阿富汗"),
    "Iraq": ("iraq", "iraqi", "伊拉克"),
    "Palestine": ("palestine", "palestinian", "state of palestine", "巴勒斯坦"),
    "Qatar": ("qatar", "qatari", "卡塔尔"),
    "UAE": ("uae", "united arab emirates", "emirati", "阿联酋", "阿聯酋"),
    "Belgium": ("belgium", "belgian", "比利时"),
    "Austria": ("austria", "austrian", "奥地利"),
    "Sweden": ("sweden", "swedish", "瑞典"),
    "Finland": ("finland", "finnish", "芬兰"),
    "Denmark": ("denmark", "danish", "丹麦"),
    "Ireland": ("ireland", "irish", "爱尔兰"),
    "Portugal": ("portugal", "portuguese", "葡萄牙"),
    "Czech Republic": ("czech republic", "czechia", "czech", "捷克"),
    "Romania": ("romania", "romanian", "罗马尼亚"),
    "Bulgaria": ("bulgaria", "bulgarian", "保加利亚"),
    "Croatia": ("croatia", "croatian", "克罗地亚"),
    "Estonia": ("estonia", "estonian", "爱沙尼亚"),
    "Cambodia": ("cambodia", "cambodian", "柬埔寨"),
    "Laos": ("laos", "lao", "老挝"),
    "Myanmar": ("myanmar", "burma", "缅甸"),
    "Bangladesh": ("bangladesh", "bangladeshi", "孟加拉国"),
    "Sri Lanka": ("sri lanka", "sri lankan", "斯里兰卡"),
    "Nepal": ("nepal", "nepalese", "尼泊尔"),
    "Uzbekistan": ("uzbekistan", "uzbek", "乌兹别克斯坦"),
    "Kyrgyzstan": ("kyrgyzstan", "kyrgyz", "吉尔吉斯斯坦"),
    "Tajikistan": ("tajikistan", "tajik", "塔吉克斯坦"),
    "Turkmenistan": ("turkmenistan", "turkmen", "土库曼斯坦"),
    "Azerbaijan": ("azerbaijan", "azerbaijani", "阿塞拜疆"),
    "Armenia": ("armenia", "armenian", "亚美尼亚"),
    "Moldova": ("moldova", "moldovan", "摩尔多瓦"),
    "Chile": ("chile", "chilean", "智利"),
    "Peru": ("peru", "peruvian", "秘鲁"),
    "Colombia": ("colombia", "colombian", "哥伦比亚"),
    "Algeria": ("algeria", "algerian", "阿尔及利亚"),
    "Morocco": ("morocco", "moroccan", "摩洛哥"),
    "Tunisia": ("tunisia", "tunisian", "突尼斯"),
    "Libya": ("libya", "libyan", "利比亚"),
    "Sudan": ("sudan", "sudanese", "苏丹"),
    "Angola": ("angola", "angolan", "安哥拉"),
    "Tanzania": ("tanzania", "tanzanian", "坦桑尼亚"),
    "Zimbabwe": ("zimbabwe", "zimbabwean", "津巴布韦"),
    "Ghana": ("ghana", "ghanaian", "加纳"),
    "Senegal": ("senegal", "senegalese", "塞内加尔"),
    "Yemen": ("yemen", "yemeni", "也门"),
    "Kuwait": ("kuwait", "kuwaiti", "科威特"),
    "Oman": ("oman", "omani", "阿曼"),
}

_COUNTRY_OF: dict[str, str] = {}
for _name, _wordings in COUNTRIES.items():
    for _w in _wordings:
        _COUNTRY_OF.setdefault(_w, _name)
# Single Chinese characters only stand for a country inside a pair ("中美", "对华").
_LONE = {w for w in _COUNTRY_OF if len(w) == 1}
_COUNTRY_RE = _literal_pattern(w for w in _COUNTRY_OF if w not in _LONE)
_CJK_PAIR_RE = re.compile(
    "([" + "".join(sorted(_LONE)) + "])([" + "".join(sorted(_LONE)) + "])(关系|關係|合作|友好|伙伴|夥伴)"
)


def country_of(name: str) -> str | None:
    """The canonical country for a wording ("U.S.", "Chinese", "Republic of Korea"), or None."""
    return _COUNTRY_OF.get(fold_name(name))


def countries_in(folded: str) -> list[tuple[int, str]]:
    """``(offset, country)`` for every country wording in folded text, in order (a new list)."""
    return list(_countries_in(folded))


@functools.lru_cache(maxsize=8)  # several rules scan the same statement in turn
def _countries_in(folded: str) -> tuple[tuple[int, str], ...]:
    found = [(m.start(), _COUNTRY_OF[m.group()]) for m in _COUNTRY_RE.finditer(folded)]
    for m in _CJK_PAIR_RE.finditer(folded):
        found.append((m.start(1), _COUNTRY_OF[m.group(1)]))
        found.append((m.start(2), _COUNTRY_OF[m.group(2)]))
    return tuple(sorted(found))


_RELATION_NOUNS = ("relations", "relationship", "ties", "relation", "alliance", "partnership")
_RELATION_NAME_RE = re.compile(r"^(?P<a>.+?) (?P<b>[^ ].*?) (?:relations|relationship|ties|relation)$")


def relationship_pair(name: str) -> frozenset[str] | None:
    """The two countries of a relationship target's name ("China-US relations",
    "Russia-China relations"), or None for any other name."""
    folded = fold_name(name)
    words = folded.split(" ")
    if len(words) < 3 or words[-1] not in _RELATION_NOUNS:
        return None
    head = words[:-1]
    for cut in range(1, len(head)):
        a, b = _COUNTRY_OF.get(" ".join(head[:cut])), _COUNTRY_OF.get(" ".join(head[cut:]))
        if a and b and a != b and " ".join(head[:cut]) not in _LONE and " ".join(head[cut:]) not in _LONE:
            return frozenset((a, b))
    return None


#: The order of the countries in a proposed relationship's name, whatever the order in the text
#: ("Japan-China relations" and "Sino-Japanese relations" are both "China-Japan relations"):
#: these first, in this order, then alphabetical ("Russia-China", "China-US", "UK-US",
#: "US-France", "China-Lithuania"). One relationship, one target.
PAIR_ORDER = ("Russia", "China", "UK", "US", "France", "EU")


def ordered_pair(a: str, b: str) -> tuple[str, str]:
    """``(a, b)`` in :data:`PAIR_ORDER`."""
    rank = {c: i for i, c in enumerate(PAIR_ORDER)}
    return tuple(sorted((a, b), key=lambda c: (rank.get(c, len(rank)), c)))


def relationship_name(first: str, second: str, noun: str = "relations") -> str:
    """The name a proposed relationship target gets: ``"China-US relations"``, or with ``noun``
    ``"alliance"`` (where the readout names the pair's relationship so) ``"US-ROK alliance"``."""
    return f"{first}-{second} {noun}"


_ALLIANCE_RE = re.compile(r"(?<![a-z])alliance(?![a-z])")


def _relation_noun(folded: str, pair: tuple[str, str]) -> str:
    """``"alliance"`` where the statement writes the pair joined before "alliance" ("U.S.-ROK
    alliance", "the Japan-US alliance"), else ``"relations"``."""
    for m in _ALLIANCE_RE.finditer(folded):
        before = folded[max(0, m.start() - 60) : m.start()]
        named = [(c.end(), _COUNTRY_OF[c.group()]) for c in _COUNTRY_RE.finditer(before)]
        if len(named) >= 2 and named[-1][0] >= len(before) - 1 and {named[-1][1], named[-2][1]} == set(pair):
            return "alliance"
    return "relations"


# --------------------------------------------------------------------------- cues

#: Cues of the side, as folded literals. The nearest cue before a target decides.
FAVOR_CUES = _phrases(
    """
    support, supports, supported, supporting, support for, welcome,
    welcomed, welcomes, welcoming, appreciate, appreciates, appreciated,
    appreciation, congratulate, congratulated, congratulations,
    congratulate you on, commend, commended, praised, praise, hailed,
    hailing, thank, thanked, thanks, grateful, commitment to, committed
    to, commit to, commit itself to, call for, called for, calling for,
    importance of, importance to, great importance, important, of great
    significance, strength of, adhere to, adherence to, uphold, upholding,
    promote, promoting, strengthen, strengthening, deepen, deepening,
    advance, advancing, implement, implementing, maintain, stabilize,
    stabilizing, stable, develop, developing, development of, improve,
    improvement of, expand, expanding, enhance, bolstering, bolster,
    consolidate, build, building, respect, work with, work together,
    cooperate, cooperation, ready to, willing to, hope, hopes, hoped,
    wish, wishes, success, successful, progress, tackle, tackling,
    address, addressing, safeguard, safeguarding, protect, protecting,
    securing, establishing, need for, advocating, advocate, agreed on,
    agreed to, agreed that, reaffirmed, ensure, 欢迎, 歡迎, 支持, 重视, 重視, 赞赏,
    讚賞, 赞叹, 讚嘆, 祝贺, 祝賀, 感谢, 感謝, 坚持, 堅持, 维护, 維護, 推动, 推動, 加强, 加強, 深化, 发展,
    發展, 愿, 願, 期待, 致力于, 促进, 促進, 符合, 确立, 確立, 成功, undermine, undermined,
    undermines, undermining, violate, violates, violated, violation of,
    违反, 違反, 损害, 損害
    """
)
AGAINST_CUES = _phrases(
    """
    oppose, opposes, opposed, opposing, opposition to, against, reject,
    rejects, rejected, rejecting, condemn, condemns, condemned,
    condemning, criticize, criticized, criticizing, criticise, criticised,
    stop, stopping, halt, end, ending, an end to, end to, lift, lifting,
    lifting of, abandon, abandoning, renounce, break away with, break away
    from, confront, confronting, combat, combating, combatting, counter,
    countering, fight against, 反对, 反對, 停止, 摒弃, 摒棄, 放弃, 放棄, 抵制, 不要
    """
)
NONE_CUES = _phrases(
    """
    discuss, discussed, discussing, discussion of, discussions on, talk
    about, talked about, regarding, with regard to, as for, exchanged
    views on, exchanged views, exchange views, priorities including,
    priorities on, recognized, recognised, described, briefed, 交换了意见,
    交換了意見, 交换了看法, 交換了看法, 交换意见, 密切关注, 密切關注
    """
)
#: Favor cues that are against a target that is a problem (:attr:`NewTarget.problem`).
TACKLING_CUES = frozenset(_phrases("address, addressing, tackle, tackling"))
#: Words of blame: a target they qualify (just before it or inside its wording) is against.
BLAME_WORDS = _phrases(
    """
    erroneous, wrong, wrongful, mistaken, illegal, unilateral, aggression,
    aggressions, aggressive, aggressor, aggressors, hegemony, hegemonism,
    bullying, smear, smears, interference, containment, suppression, 错误,
    錯誤, 遏制, 打压, 打壓, 干涉, 霸权, 偏见, 偏見
    """
)
NEGATIONS = _phrases(
    """
    not, no, never, nor, cannot, neither, without, 不能, 不应, 不應, 没有, 沒有
    """
)
#: How far (folded code points) an against cue reaches: "stop X", "lifting of import restrictions";
#: a Chinese one only to the next few characters ("停止对华遏制打压", "不要让意识形态偏见").
AGAINST_REACH = 40
AGAINST_REACH_CJK = 3

_CUES: dict[str, str] = {}
for _side, _words in ((FAVOR, FAVOR_CUES), (AGAINST, AGAINST_CUES), (NONE, NONE_CUES)):
    for _w in _words:
        _CUES[_w] = _side
_CUE_RE = _literal_pattern(_CUES)
_BLAME_RE = _literal_pattern(BLAME_WORDS)
_NEGATION_RE = _literal_pattern(NEGATIONS)
_NOT_WIN_RE = re.compile(r" ?(?:will|would|do|does|did|must|should|can|could)? ?not (?:win|succeed|prevail)(?![a-z])")

_GENERIC_RELATION_RE = _literal_pattern(
    (
        "bilateral relations",
        "bilateral relationship",
        "bilateral ties",
        "bilateral cooperation",
        "relations between the two countries",
        "relations between our countries",
        "relations between our two countries",
        "ties between the two countries",
        "relations between two major countries",
        "ties between two major countries",
        "the two countries",
        "our two countries",
        "both countries",
        "两国关系",
        "兩國關係",
        "双边关系",
        "雙邊關係",
        "两国",
        "兩國",
        "双方合作",
        "雙方合作",
    )
)
#: Words that make cooperation something other than the two sides' ("international cooperation").
_SCOPE_RE = _literal_pattern(
    ("international", "multilateral", "regional", "global", "trilateral", "国际", "國際", "多边", "多邊")
)
_RELATION_WORDS_RE = _literal_pattern(
    (
        "relations",
        "relationship",
        "ties",
        "cooperation",
        "cooperate",
        "partnership",
        "alliance",
        "friendship",
        "work with",
        "work together",
        "dialogue",
        "communication",
        "communicate",
        "coordination",
        "exchanges",
        "关系",
        "關係",
        "合作",
        "沟通",
        "溝通",
        "交流",
        "友好",
    )
)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class TargetInfo:
    """A known target as the rules see it: ``key`` is what proposals carry (a slug, a pk, a
    ``Target``); ``kind`` a ``Target.kind`` value; ``names`` its name and aliases; ``parent``
    the key of its parent target, or None."""

    key: object
    name: str
    kind: str = "issue"
    names: tuple[str, ...] = ()
    parent: object = None


@dataclass(frozen=True)
class StanceProposal:
    """One proposed stance: ``target`` is a target key, or the name of a target to propose
    (``new_target`` true); ``rule`` names the rule, ``words`` the text it rests on."""

    target: object
    stance: str
    rule: str
    words: str
    new_target: bool = False

    @property
    def note(self) -> str:
        """``"rule: words"``, at most 500 code points (``Stance.note``)."""
        return f"{self.rule}: {self.words}"[:500]


@dataclass(frozen=True)
class NewTarget:
    """A target to propose with all its fields (a starter lexicon entry,
    :mod:`readout_annotations.lexicon`): ``slug`` (at most 120 characters), ``name`` (at most
    200), ``kind`` (a ``Target.kind`` value), ``aliases`` and ``description``."""

    slug: str
    name: str
    kind: str = "issue"
    aliases: tuple[str, ...] = ()
    description: str = ""
    #: A problem speakers address, fight or tackle (terrorism, fentanyl trafficking): the cues of
    #: :data:`TACKLING_CUES` are against it, not for it.
    problem: bool = False


def _is_bare_place(info: TargetInfo, name: str) -> bool:
    """A country named by its name ("China", "中国") or a region by a proper name ("the Sahel")."""
    if info.kind in ("actor", "institution"):
        return country_of(name) is not None
    return info.kind == "region" and not _lowercase_words(name)


def _lowercase_words(name: str) -> set[str]:
    """The content words a name writes in lower case ("growing role in the world")."""
    return {w for w in re.findall(r"[A-Za-z']+", name) if w.islower() and w not in ("of", "and", "the", "in")}


def _is_generic_relation(folded: str) -> bool:
    """Whether a folded wording is a generic one ("bilateral relations", "the two countries"),
    which names the relationship of whichever two countries a readout is about, never one target."""
    return _GENERIC_RELATION_RE is not None and _GENERIC_RELATION_RE.fullmatch(folded) is not None


class TargetIndex:
    """The known targets' names and aliases, folded, for :func:`find_targets`.

    Relationship targets ("A-B relations") are also indexed by their pair of countries. An alias
    that is a generic wording ("bilateral relations", as the seed's China-Belarus relations has)
    is not indexed: in a readout about France it would name China-Belarus relations; the generic
    wording takes the readout's own pair instead (see "Relationships" above).
    """

    def __init__(self, targets: Iterable[TargetInfo]) -> None:
        self.targets: dict[object, TargetInfo] = {}
        self._by_name: dict[str, object] = {}
        self._bare: set[str] = set()
        self.relationships: dict[frozenset[str], object] = {}
        self._patterns: list[re.Pattern] = []
        self._add(targets)

    def _add(self, targets: Iterable[TargetInfo]) -> None:
        """Index ``targets`` after those indexed before (a name already taken keeps its target),
        their new names in one pattern of their own."""
        names = []
        for info in targets:
            self.targets[info.key] = info
            for name in (info.name, *info.names):
                folded = fold_name(name)
                if not folded or folded in self._by_name or (name is not info.name and _is_generic_relation(folded)):
                    continue
                self._by_name[folded] = info.key
                names.append(folded)
                if _is_bare_place(info, name):
                    self._bare.add(folded)
            pair = relationship_pair(info.name)
            if pair is not None:
                self.relationships.setdefault(pair, info.key)
        pattern = _literal_pattern(names)
        if pattern is not None:
            self._patterns.append(pattern)

    def extended(self, targets: Iterable[TargetInfo]) -> TargetIndex:
        """A new index of this one's targets and then ``targets``, as
        ``TargetIndex([*self.targets.values(), *targets])`` would be, without compiling this
        index's names again (a readout's rules add the targets they propose as they go; the
        database's and the starter lexicon's stay compiled once). This index is unchanged."""
        index = copy.copy(self)
        index.targets = dict(self.targets)
        index._by_name = dict(self._by_name)
        index._bare = set(self._bare)
        index.relationships = dict(self.relationships)
        index._patterns = list(self._patterns)
        index._add(targets)
        return index

    @classmethod
    def from_targets(cls, targets: Iterable, key=lambda target: target) -> TargetIndex:
        """Build from ``Target`` instances."""
        targets = list(targets)
        keys = {t.pk: key(t) for t in targets}
        return cls(
            TargetInfo(
                key(t), t.name, t.kind, tuple(a for a in (t.aliases or ()) if isinstance(a, str)), keys.get(t.parent_id)
            )
            for t in targets
        )

    def ancestors(self, key: object) -> list[object]:
        """The keys of a target's parent, its parent's parent, ... (at most 20, cycles cut)."""
        found: list[object] = []
        info = self.targets.get(key)
        while info is not None and info.parent is not None and info.parent not in found and len(found) < 20:
            found.append(info.parent)
            info = self.targets.get(info.parent)
        return found

    def folded_names(self) -> frozenset[str]:
        """Every name and alias of the index, folded (:func:`fold_name`)."""
        return frozenset(self._by_name)

    def names_in(self, folded: str) -> list[tuple[int, int, object, bool]]:
        """``(start, end, key, bare_place)`` in folded text, leftmost-longest, no overlaps."""
        if len(self._patterns) == 1:
            matches = self._patterns[0].finditer(folded)
        else:
            matches = _leftmost_longest(self._patterns, folded)
        return [(m.start(), m.end(), self._by_name[m.group()], m.group() in self._bare) for m in matches]


def _leftmost_longest(patterns: Sequence[re.Pattern], text: str) -> Iterator[re.Match]:
    """The matches of several :func:`_literal_pattern` patterns as one pattern of all their
    phrases gives them: left to right, at each start the longest, none overlapping. Each pattern
    searches on from where the last match taken ended, so the text is read once per pattern."""
    current = [pattern.search(text) for pattern in patterns]
    while True:
        best = None
        for m in current:
            if m is not None and (best is None or (m.start(), -m.end()) < (best.start(), -best.end())):
                best = m
        if best is None:
            return
        yield best
        end = best.end()
        current = [
            m if m is None or m.start() >= end else pattern.search(text, end)
            for pattern, m in zip(patterns, current, strict=True)
        ]


# --------------------------------------------------------------------------- the side


#: How far (folded code points) a clause is looked at around a target.
CLAUSE_WINDOW = 300


class _Cues:
    """The cues of a folded statement, in order, for bisecting (they never overlap)."""

    def __init__(self, folded: str) -> None:
        self.items = [(m.start(), m.end(), _CUES[m.group()]) for m in _CUE_RE.finditer(folded)]
        self.starts = [c[0] for c in self.items]
        self.ends = [c[1] for c in self.items]


def _side(folded: str, start: int, end: int, cues: _Cues) -> tuple[str, str]:
    """``(stance, cue words)`` for a target at ``start:end`` of folded text. Looks at a bounded
    number of cues and code points around the target, so a statement costs linear time."""
    not_win = _NOT_WIN_RE.match(folded, end)
    if not_win:
        return AGAINST, not_win.group().strip()
    last = None
    i = bisect.bisect_right(cues.ends, start)
    for k in range(i - 1, max(-1, i - 9), -1):
        cue = cues.items[k]
        if cue[2] != AGAINST or _reaches(folded, cue[1], start):
            last = cue
            break
    blame = _BLAME_RE.search(folded, max(0, start - 12), end) if _BLAME_RE else None
    if blame is not None and (last is None or last[2] != NONE or last[1] < blame.start()):
        return AGAINST, blame.group()
    side, words = FAVOR, ""
    if last is not None:
        cue_start, cue_end, side = last
        words = folded[cue_start:cue_end]
        if side == NONE and folded.find(",", max(cue_end, start - CLAUSE_WINDOW), start) >= 0:
            # "Although we will talk about X, Y relations are of great importance": a cue of
            # the target's own clause, after it, wins over a none cue of an earlier clause.
            window = folded[end : end + CLAUSE_WINDOW]
            stop = end + min((i for i in (window.find(","), window.find(";")) if i >= 0), default=len(window))
            j = bisect.bisect_left(cues.starts, end)
            for cue in cues.items[j : j + 8]:
                if cue[1] > stop:
                    break
                if cue[2] == FAVOR:
                    side, words = FAVOR, folded[cue[0] : cue[1]]
                    break
    if side == FAVOR:
        # "no nation ... should enjoy X", "should not support X": a negation in the target's
        # clause before it.
        clause = folded[_clause_start(folded, start) : start]
        negations = [m.group() for m in _NEGATION_RE.finditer(clause)] if _NEGATION_RE else []
        if _leading_no(clause) and "no" not in negations:
            negations.append("no")
        if len(negations) % 2:  # "cannot be achieved without X" is two negations: favor
            return AGAINST, f"{negations[0]} … {words}".strip(" …")
    return side, words


def _reaches(folded: str, cue_end: int, start: int) -> bool:
    """Whether an against cue ending at ``cue_end`` governs a target at ``start``: within
    :data:`AGAINST_REACH`, or for a Chinese cue the next few characters unless a benefactive
    preposition intervenes ("不要为两国关系制造障碍" is not against the relations)."""
    if folded[cue_end - 1].isascii():
        return start - cue_end <= AGAINST_REACH
    if start - cue_end > AGAINST_REACH_CJK:
        return False
    gap = folded[cue_end:start]
    return len(gap) <= AGAINST_REACH_CJK and not any(ch in "为為给給替" for ch in gap)


def _clause_start(folded: str, at: int) -> int:
    """Where the clause holding offset ``at`` starts (at most :data:`CLAUSE_WINDOW` before it)."""
    low = max(0, at - CLAUSE_WINDOW)
    cut = max(folded.rfind(",", low, at), folded.rfind(";", low, at), folded.rfind(" that ", low, at))
    return cut + 1 if cut >= 0 else low


def _leading_no(clause: str) -> bool:
    words = clause.split()
    return bool(words) and words[0] in ("no", "neither") and "should" in words


# --------------------------------------------------------------------------- proposing


@dataclass
class Context:
    """What the rules know of a statement beyond its text.

    ``speaker_countries``: canonical countries of the speaker (a group's members'); ``recent``:
    countries the readout named before, latest last (the caller keeps it across statements with
    :func:`remember_countries`); ``readout_countries``: the readout's countries, most named first.
    """

    speaker_countries: tuple[str, ...] = ()
    recent: list[str] = field(default_factory=list)
    readout_countries: tuple[str, ...] = ()


def country_named_with(text: str, names: Iterable[str]) -> str | None:
    """The country a readout gives a person by the words just before their name ("Chinese
    President Xi Jinping", "Lithuanian Prime Minister Algirdas Butkevicius", "美国国务卿布林肯"):
    the country wording nearest before the first such mention (within 50 code points, not
    across a sentence end), or None."""
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        at = text.find(name)
        for _ in range(20):
            if at < 0:
                break
            before = text[max(0, at - 50) : at]
            for stop in (". ", "\n", "。", "; "):
                before = before.rsplit(stop, 1)[-1]
            found = countries_in(folded(before))
            if found:
                return found[-1][1]
            at = text.find(name, at + len(name))
    return None


def remember_countries(context: Context, text: str) -> None:
    """Add the countries ``text`` names to ``context.recent`` (latest last)."""
    for _, country in countries_in(folded(text)):
        if country in context.recent:
            context.recent.remove(country)
        context.recent.append(country)


def readout_countries(text: str) -> tuple[str, ...]:
    """The countries a readout names, most named first (ties: first named first)."""
    counts: dict[str, int] = {}
    for _, country in countries_in(folded(text)):
        counts[country] = counts.get(country, 0) + 1
    return tuple(sorted(counts, key=lambda c: -counts[c]))


def _pair(folded: str, context: Context) -> tuple[str, str] | None:
    """The relationship a generic wording in this statement is about, ordered for naming."""
    own = list(context.speaker_countries)
    here = [c for _, c in countries_in(folded)]
    if len(own) >= 2:
        return own[0], own[1]
    if own:
        others = [c for c in here if c != own[0]] or [c for c in reversed(context.recent) if c != own[0]]
        others = others or [c for c in context.readout_countries if c != own[0]]
        return (own[0], others[0]) if others else None
    distinct = list(dict.fromkeys(here))
    if len(distinct) >= 2:
        return distinct[0], distinct[1]
    ranked = list(dict.fromkeys([*distinct, *context.readout_countries, *reversed(context.recent)]))
    return (ranked[0], ranked[1]) if len(ranked) >= 2 else None


def _relationship_mentions(folded: str, context: Context) -> list[tuple[int, int, tuple[str, str], str]]:
    """``(start, end, ordered pair, rule)`` for relationships named without a target's wording."""
    found = []
    pairs = set()
    for m in _CJK_PAIR_RE.finditer(folded):
        a, b = _COUNTRY_OF[m.group(1)], _COUNTRY_OF[m.group(2)]
        if a != b and frozenset((a, b)) not in pairs:
            pairs.add(frozenset((a, b)))
            found.append((m.start(), m.end(), ordered_pair(a, b), "relationship-named"))
    relation = _RELATION_WORDS_RE.search(folded) if _RELATION_WORDS_RE else None
    own = context.speaker_countries
    distinct = list(dict.fromkeys(c for _, c in countries_in(folded)))
    # "China is ready to work with France", "Russian-Chinese relations": the two countries named.
    named = None
    if relation and len(distinct) >= 2 and (not own or own[0] in distinct[:2]):
        named = ordered_pair(distinct[0], distinct[1])
    if _GENERIC_RELATION_RE is not None:
        generic = _GENERIC_RELATION_RE.search(folded)
        pair = None if generic is None else named or (p and ordered_pair(*p) if (p := _pair(folded, context)) else None)
        if pair is not None:
            found.append((generic.start(), generic.end(), pair, "relationship-bilateral"))
    if relation is None or found:
        return found
    if len(own) >= 2:
        # A joint position of the two sides about working together is about their relationship.
        found.append((relation.start(), relation.end(), ordered_pair(own[0], own[1]), "relationship-joint"))
    elif named is not None:
        found.append((relation.start(), relation.end(), named, "relationship-both-named"))
    elif (
        own
        and not _SCOPE_RE.search(folded, max(0, relation.start() - 15), relation.start())
        and (pair := _pair(folded, context))
    ):
        # "discussed relations and cooperation": the speaker's side and the other side.
        found.append((relation.start(), relation.end(), ordered_pair(*pair), "relationship-implied"))
    return found


def find_stances(text: str, index: TargetIndex, context: Context | None = None) -> list[StanceProposal]:
    """The stances a speaker's statement ``text`` takes on known targets, one per target, in order.

    Narration is the caller's business: call this only for a statement with a speaker.
    """
    context = context or Context()
    folded, positions = _fold_statement(text)
    cues = _Cues(folded)
    found: dict[object, StanceProposal] = {}

    def words(start: int, end: int) -> str:
        return text[positions[start] : positions[max(start, end - 1)] + 1]

    taken: list[tuple[int, int]] = []  # spans of names taken, in order, never overlapping
    for start, end, key, bare in index.names_in(folded):
        if _part_of_longer_name(text, positions[end], folded, end):
            continue
        stance, cue = _side(folded, start, end, cues)
        role = _ROLE_RE.match(folded, end) if bare else None
        if role is not None and stance == FAVOR:
            # Praise of a country's role is favor toward the country ("Russia's growing role").
            cue = cue or role.group().strip()
        elif bare and stance != NONE:
            continue
        taken.append((start, end))
        if stance == FAVOR and getattr(key, "problem", False) and cue in TACKLING_CUES:
            stance = AGAINST  # "addressing shipments of fentanyl"
        if key not in found:
            rule = f"name-{stance}"
            found[key] = StanceProposal(key, stance, rule, _why(cue, words(start, end)))
    # "Bilateral relations" names the relationship; "the two countries" does not where the
    # statement names something within it ("the Committee of the two countries": the most
    # specific target).
    within = {ancestor for key in found for ancestor in index.ancestors(key)}
    for start, end, pair, rule in _relationship_mentions(folded, context):
        key = index.relationships.get(frozenset(pair))
        if key is None or key in found or _overlaps(taken, start, end):
            continue
        if key in within and rule == "relationship-bilateral" and not _RELATION_WORDS_RE.search(folded, start, end):
            continue
        stance, cue = _side(folded, start, end, cues)
        found[key] = StanceProposal(key, stance, f"{rule}-{stance}", _why(cue, words(start, end)))
    return list(found.values())


#: A country's role after its bare name: "Russia's growing role in the world".
_ROLE_RE = re.compile(r"'s (?:[a-z-]+ ){0,3}role(?![a-z])")


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``start:end`` overlaps one of ``spans`` (ordered, not overlapping each other)."""
    i = bisect.bisect_right(spans, (start, len(spans) and spans[-1][1] + end + 1))
    return (i > 0 and spans[i - 1][1] > start) or (i < len(spans) and spans[i][0] < end)


#: Nouns after a target's name that make it part of another thing's name: "the G20 summit" is
#: an event, not the G20; "a free trade agreement" an agreement, not free trade.
EVENT_HEADS = frozenset(
    _phrases(
        """
    summit, summits, agreement, agreements, treaty, accord, conference, forum, meeting, meetings,
    ministerial, declaration, games, olympics, talks, zone, area
    """
    )
)
_NEXT_WORD_RE = re.compile(r" ?([a-z']+)")


def _part_of_longer_name(text: str, end: int, folded: str = "", folded_end: int = 0) -> bool:
    """Whether a name ending at ``end`` goes on as a longer proper name ("President Xi" in
    "President Xi Jinping"): a target's wording inside a person's name is not the target; nor
    is one before a noun of :data:`EVENT_HEADS` ("G20 summit", "free trade agreement")."""
    if end + 1 < len(text) and text[end].isspace() and text[end + 1].isupper() and text[end - 1].isalpha():
        return True
    following = _NEXT_WORD_RE.match(folded, folded_end) if folded else None
    return following is not None and following.group(1) in EVENT_HEADS


def _why(cue: str, mention: str) -> str:
    return f"{cue} … {mention}" if cue else mention


_POSSESSIVE_RE = re.compile(r"(?<=[^\W_])['\u2019](?:s(?![^\W_]))?")


def target_slug(name: str) -> str:
    """The slug of a proposed target's name: :func:`~django.utils.text.slugify` without the
    possessive ("Lebanon's sovereignty" is ``lebanon-sovereignty``, "Russia's war against
    Ukraine" ``russia-war-against-ukraine``), at most 120 characters."""
    return slugify(_POSSESSIVE_RE.sub("", name))[:120]


def _key_slug(key: object) -> str:
    """The slug of a found target's key where the rules know it (a starter entry, an earlier
    proposal), else ``""``."""
    if isinstance(key, NewTarget):
        return key.slug
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "new":
        return target_slug(key[1])
    return key if isinstance(key, str) else ""


#: At most this many new targets proposed in one readout (a readout is about a few dozen
#: things; past this the rest are left to the annotators). It bounds the work of finding the
#: proposed targets again in the statements after them.
MAX_NEW_TARGETS = 100


class ReadoutStances:
    """The stance rules over one readout's statements, in order: what the built-in proposer runs.

    ``index`` holds the known targets (the database's, then the starter lexicon's, keyed by
    :class:`NewTarget`); ``confirmed`` the keys of those a reviewer confirmed; ``context`` the
    readout's countries. For each statement call :meth:`speech` (a statement read as a
    speaker's) or :meth:`narration`, in the readout's order. Where a speech statement names no
    confirmed target, new targets are proposed from its words too (:func:`propose_targets`: a
    starter target or an earlier proposal found in it does not settle what it is about), at
    most :data:`MAX_NEW_TARGETS` of them, and later statements find them by name, as a later
    readout will once they are stored.
    """

    def __init__(
        self, index: TargetIndex, context: Context | None = None, confirmed: Collection[object] = frozenset()
    ) -> None:
        self.index = index
        self.context = context or Context()
        self.confirmed = confirmed
        self._known = index  # the database's and the starter targets, compiled once
        self._proposed: dict[str, str] = {}  # slug -> name of the targets proposed so far
        self._indexed = 0  # how many of them self.index holds

    def speech(self, text: str, speaker_countries: Sequence[str] = ()) -> list[StanceProposal]:
        """The stances of a speaker's statement: on known and starter targets
        (:func:`find_stances`), and where no known one is found, on new ones
        (:func:`propose_targets`; ``new_target`` true, ``target`` the name, one per slug). The
        ``speaker_countries`` are the speaker's canonical countries (a group's members')."""
        self.context.speaker_countries = tuple(speaker_countries)
        found = find_stances(text, self.index, self.context)
        if not any(s.target in self.confirmed for s in found):
            taken = {_key_slug(s.target) for s in found}
            for proposal in propose_targets(text, self.index, self.context):
                slug = target_slug(proposal.target)
                if not slug or slug in taken or len(proposal.target) > 200:
                    continue
                if slug not in self._proposed and len(self._proposed) >= MAX_NEW_TARGETS:
                    continue
                taken.add(slug)
                name = self._proposed.setdefault(slug, proposal.target)
                found.append(StanceProposal(name, proposal.stance, proposal.rule, proposal.words, True))
            if len(self._proposed) != self._indexed:
                self.index = self._known.extended(TargetInfo(("new", name), name) for name in self._proposed.values())
                self._indexed = len(self._proposed)
        remember_countries(self.context, text)
        return found

    def narration(self, text: str) -> None:
        """Narration gets no stance; its countries still count for the statements after it."""
        remember_countries(self.context, text)


# --------------------------------------------------------------------------- cold start

#: Predicates whose object is a stance target, and the side they give.
_OBJECT_PREDICATES = {
    "support for": FAVOR,
    "support to": FAVOR,
    "commitment to": FAVOR,
    "committed to": FAVOR,
    "importance of": FAVOR,
    "called for": FAVOR,
    "calls for": FAVOR,
    "call for": FAVOR,
    "welcomed": FAVOR,
    "welcomes": FAVOR,
    "praised": FAVOR,
    "congratulated": FAVOR,
    "adhere to": FAVOR,
    "adherence to": FAVOR,
    "implement": FAVOR,
    "progress on": FAVOR,
    "supports": FAVOR,
    "opposes": AGAINST,
    "oppose": AGAINST,
    "rejected": AGAINST,
    "condemned": AGAINST,
    "ending": AGAINST,
    "end to": AGAINST,
    "stop": AGAINST,
    "lifting of": AGAINST,
    "abandon": AGAINST,
    "discussed": NONE,
    "regarding": NONE,
}
_OBJECT_RE = _literal_pattern(_OBJECT_PREDICATES)
_LEADING = frozenset(
    _phrases(
        """
    a, an, close, closer, continued, current, firm, further, greater, her, his, immediate, ironclad,
    its, ongoing, our, potential, strong, the, their, these, this, those
    """
    )
)
_STOPS = frozenset(
    _phrases(
        """
    and, are, as, at, be, been, between, but, by, can, could, during, for, from, had, has, have, in,
    into, is, must, on, or, should, that, through, to, was, were, which, while, who, will, with,
    would
    """
    )
)


def propose_targets(text: str, index: TargetIndex, context: Context | None = None) -> list[StanceProposal]:
    """New targets a speaker's statement takes a side on where no known target is found.

    Each result has ``new_target`` true and ``target`` the proposed name (slug it with
    :func:`target_slug`): the relationship of the statement's pair of countries, named "A-B
    relations" or "A-B alliance" (:func:`relationship_name`) when no target stands for it; the
    noun phrase after a stance predicate ("support for Ukraine" gives "Ukraine"; "the importance
    of continued support for Ukraine" gives "support for Ukraine"), at most six words, shaped by
    :func:`_shape_object`, and up to two objects coordinated with it; proper names of
    institutions, agreements and events.
    """
    context = context or Context()
    folded, positions = _fold_statement(text)
    proposals: dict[str, StanceProposal] = {}
    cues = _Cues(folded)
    for start, end, pair, rule in _relationship_mentions(folded, context):
        if frozenset(pair) in index.relationships:
            continue
        name = relationship_name(*pair, _relation_noun(folded, pair))
        stance, cue = _side(folded, start, end, cues)
        proposals.setdefault(
            name.lower(),
            StanceProposal(
                name, stance, f"new-{rule}-{stance}", _why(cue, text[positions[start] : positions[end]]), True
            ),
        )
    known_spans = [(start, end) for start, end, _key, bare in index.names_in(folded) if not bare]
    if _OBJECT_RE is not None:
        covered = 0  # folded offset where the last phrase ended: "support for X" inside it is not another
        for m in _OBJECT_RE.finditer(folded):
            if m.start() < covered:
                continue
            predicate_side, at = _OBJECT_PREDICATES[m.group()], m.end()
            for _ in range(3):  # the object and up to two coordinated ones: "X, Y and Z"
                phrase, phrase_end = _noun_phrase(text, positions, at)
                covered = bisect.bisect_left(positions, phrase_end)
                if phrase is None:
                    break
                phrase, side = _shape_object(phrase, predicate_side, text, phrase_end)
                known = phrase is None or _known(index, fold_name(phrase)) or not _is_topic(phrase)
                if not known and not _overlaps(known_spans, at, covered):  # "ending the war" of "the war in Gaza"
                    proposals.setdefault(
                        phrase.lower(),
                        StanceProposal(phrase, side, f"new-object-{side}", f"{m.group()} … {phrase}", True),
                    )
                conjunct = _CONJUNCT_RE.match(text, phrase_end)
                if conjunct is None:
                    break
                at = bisect.bisect_left(positions, conjunct.end())
    for start, end in _proper_names(text):
        name = text[start:end]
        folded_start = bisect.bisect_left(positions, start)
        if _known(index, fold_name(name)) or fold_name(name) in proposals:
            continue
        stance, cue = _side(folded, folded_start, bisect.bisect_left(positions, end), cues)
        proposals.setdefault(fold_name(name), StanceProposal(name, stance, f"new-name-{stance}", _why(cue, name), True))
    return list(proposals.values())


def _known(index: TargetIndex, folded: str) -> bool:
    """Whether a folded phrase is a known target's name or holds one that is not a bare place
    ("support for Ukraine" holds the country "Ukraine", which is a target only as a topic)."""
    names = index.names_in(folded)
    return any(not bare or (start, end) == (0, len(folded)) for start, end, _key, bare in names)


#: Last words of a proper name that names a target (an institution, an agreement, an event).
NAME_HEADS = frozenset(
    _phrases(
        """
    initiative, initiatives, agreement, accord, accords, treaty, charter, forces, summit, olympics,
    games, organization, organisation, alliance, union, congress, council, committee, commission,
    forum, conference, park, express, corridor, fund, bank, assembly, process, declaration,
    consensus, partnership, strategy, doctrine, convention, mechanism, framework, dialogue
    """
    )
)
#: Words that start a person's or an office's name, never a target's.
_TITLES = frozenset(
    _phrases(
        """
    president, prime, premier, minister, secretary, chancellor, king, queen, mr, mrs, ms, dr,
    ambassador, director, spokesman, spokesperson, general, vice, state, foreign, defense, defence
    """
    )
)
_PRONOUNS = frozenset(_phrases("it, this, that, these, those, them, they, he, she, we, us, you, which, what"))


def _is_topic(phrase: str) -> bool:
    """Whether a noun phrase can name a target: not a pronoun, not a person by title."""
    words = phrase.lower().replace("\u2019", "'").split()
    return bool(words) and words[0] not in _PRONOUNS and words[0].rstrip(".") not in _TITLES


def _proper_names(text: str) -> list[tuple[int, int]]:
    """Spans of proper names that name institutions, agreements and events: capitalised words
    ("and"/"of"/"for" inside) ending in a :data:`NAME_HEADS` word ("Good Friday Agreement",
    "Lebanese Armed Forces"), or an acronym of three or more capitals that is not a country
    ("NATO", "BRICS"). Not at the start of the sentence. One pass over the words."""
    spans: list[tuple[int, int]] = []
    words = [(m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    run: list[tuple[int, int]] = []
    for position, (start, end) in enumerate([*words, (len(text), len(text))]):
        word = text[start:end]
        capital = bool(word) and word[0].isupper() and position > 0
        joiner = bool(run) and word in ("and", "of", "for") and position + 1 < len(words)
        if capital or joiner:
            run.append((start, end))
            continue
        while run and text[run[-1][0] : run[-1][1]] in ("and", "of", "for"):
            run.pop()
        if run:
            first, last = text[run[0][0] : run[0][1]], text[run[-1][0] : run[-1][1]]
            if len(run) >= 2 and last.lower() in NAME_HEADS and first.lower().rstrip(".") not in _TITLES:
                spans.append((run[0][0], run[-1][1]))
            elif len(run) == 1 and len(first) >= 3 and first.isupper() and first.isalpha() and not country_of(first):
                spans.append((run[0][0], run[0][1]))
        run = []
    return spans


_WORD_RE = re.compile(r"[^\W_][\w'\u2019\-]*")


def _inside_name(text: str, tokens: list[tuple[int, int]], word: str, end: int) -> bool:
    """Whether a stop word goes on inside a name: "support for X", or "and"/"of"/"for" between two
    capitalised words ("Belt and Road Initiative", "Ministry of Commerce")."""
    if not tokens:
        return False
    previous = text[tokens[-1][0] : tokens[-1][1]]
    if word == "for" and previous.lower() == "support":
        return True
    after = _skip_spaces(text, end)
    return word in ("and", "of", "for") and previous[:1].isupper() and text[after : after + 1].isupper()


def _noun_phrase(text: str, positions: Sequence[int], at: int) -> tuple[str | None, int]:
    """``(phrase, end)``: the noun phrase of ``text`` after folded offset ``at`` in its original
    wording, up to a stop word or punctuation, leading determiners dropped, at most six words
    (None when nothing or too much is left); ``end`` is where the scan stopped, in ``text``."""
    i = positions[at] if at < len(positions) else len(text)
    n = len(text)
    tokens: list[tuple[int, int]] = []
    for _ in range(12):
        i = _skip_spaces(text, i)
        j = i
        while j < n and (text[j].isalnum() or text[j] in "-.'\u2019\u2011"):
            j += 1
        if j == i:
            break
        word = text[i:j].rstrip(".").lower()
        if not tokens and word in _LEADING:
            i = j
            continue
        if (word in _STOPS and not _inside_name(text, tokens, word, j)) or len(tokens) == 7 or word.isdigit():
            break
        tokens.append((i, j))
        i = j
    if not tokens or len(tokens) > 6:
        return None, i
    while len(tokens) > 1 and text[tokens[-1][0] : tokens[-1][1]].lower() in ("of", "and", "for"):
        tokens.pop()
    phrase = text[tokens[0][0] : tokens[-1][1]].rstrip(".")
    return (phrase if any(ch.isalpha() for ch in phrase) else None), tokens[-1][1]


#: Words that open an object phrase but are themselves predicates: dropped, with "of" after
#: them; those of this table turn the side ("the immediate lifting of import restrictions" is
#: against the restrictions).
_LEAD_PREDICATES: dict[str, str | None] = {
    **dict.fromkeys(
        _phrases(
            """
        bolstering, strengthening, deepening, promoting, advancing, expanding, enhancing, supporting,
        developing, maintaining, implementing, upholding, safeguarding, protecting, preserving,
        consolidating, improving, stabilizing, stabilising, importance, continuation, success
        """
        )
    ),
    **dict.fromkeys(
        _phrases(
            """
        ending, lifting, stopping, halting, opposing, combating, combatting, countering, fighting,
        removing, removal, rejecting, abandoning
        """
        ),
        AGAINST,
    ),
}
#: Nouns named after what they are of or in, as target names are: "the discharge of ALPS-treated
#: water" is "ALPS-treated water discharge", "the war in Gaza" "Gaza war".
_INVERTED_HEADS = frozenset(
    _phrases(
        """
    discharge, release, withdrawal, reunification, settlement, denuclearization, denuclearisation,
    war, conflict, crisis, reconstruction, occupation, invasion, policy
    """
    )
)
#: Object phrases that name no target of their own.
_GENERIC_OBJECTS = frozenset(
    _phrases(
        """
    relations, relationship, ties, cooperation, relations and cooperation, issues, issue, matters,
    situation, efforts, work, progress, importance, the importance, views, developments, areas,
    fields, talks, discussions, exchanges, consensus, agreement, common understanding, common
    understandings, understandings
    """
    )
)
_RELATION_HEADS = frozenset(("relationship", "relation", "ties", "relations"))
_CAPITALISED = r"[A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,3}"
_BETWEEN_RE = re.compile(rf"\s+between (?:the )?({_CAPITALISED}) and (?:the )?({_CAPITALISED})")
_IN_PLACE_RE = re.compile(rf"\s+in (?:the )?({_CAPITALISED})")


#: A coordinated object after an object phrase: ", and the X", " and to the X", " and NATO" (a
#: determiner or a capital must follow, so "defense and security priorities" stays one phrase).
_CONJUNCT_RE = re.compile(r",? (?:and|or|as well as) (?:(?:for|to) )?(?=(?:the|its|their|our|a|an) |[A-Z])")


def _shape_object(phrase: str, side: str, text: str, end: int) -> tuple[str | None, str]:
    """``(name, side)``: the target name an object phrase gives, or None for a generic one.

    A leading predicate word is dropped (:data:`_LEAD_PREDICATES`, which may turn the side);
    relationship nouns become "relations" ("the transatlantic relationship" is "transatlantic
    relations"); "ceasefire between Israel and Lebanon" is "Israel-Lebanon ceasefire" (the
    countries in :data:`PAIR_ORDER`); the heads of :data:`_INVERTED_HEADS` go after what they
    are of or in. ``end`` is where the phrase ends in ``text``; the patterns there read at most a
    few words."""
    words = phrase.split()
    while len(words) > 1 and words[0].lower() in _LEAD_PREDICATES:
        side = _LEAD_PREDICATES[words[0].lower()] or side
        words = words[1:]
        while len(words) > 1 and (words[0].lower() == "of" or words[0].lower() in _LEADING):
            words = words[1:]
    if words and words[-1].lower() in _RELATION_HEADS:
        words[-1] = "relations"
    lowered = " ".join(words).lower()
    if not words or lowered in _GENERIC_OBJECTS or lowered in _LEAD_PREDICATES:
        return None, side
    possessive = words[0].lower().replace("\u2019", "'").endswith(("'s", "s'"))
    owner = words[:1] if len(words) >= 4 and possessive else []  # "Lebanon's policy of ..."
    rest = words[len(owner) :]
    if len(rest) >= 3 and rest[0].lower() in _INVERTED_HEADS and rest[1].lower() == "of":
        words = [*owner, *rest[2:], rest[0].lower()]
    elif len(words) == 1 and words[0].lower() in _INVERTED_HEADS and (place := _IN_PLACE_RE.match(text, end)):
        words = [place.group(1).rstrip("."), words[0].lower()]
    between = _BETWEEN_RE.match(text, end)
    if between:
        a, b = country_of(between.group(1).rstrip(".")), country_of(between.group(2).rstrip("."))
        if a and b and a != b:
            words = ["-".join(ordered_pair(a, b)), *words]
    return " ".join(words), side


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
