"""The stance rules (readout_annotations.stance_rules): pure functions, no database."""

import time

import pytest

from readout_annotations import stance_rules as rules
from readout_annotations.stance_rules import AGAINST, FAVOR, NONE, Context, TargetIndex, TargetInfo

TARGETS = [
    TargetInfo("bri", "Belt and Road Initiative", "initiative", ("the belt and road initiative", "BRI")),
    TargetInfo("railway", "China-Europe Railway Express", "project", ("China-Europe line",)),
    TargetInfo("connectivity", "China-Europe connectivity", "policy", ()),
    TargetInfo("china-us-relations", "China-US relations", "issue", ("中美关系",)),
    TargetInfo("china-belarus-relations", "China-Belarus relations", "issue", ()),
    TargetInfo("cold-war", "Cold War mentality", "issue", ()),
    TargetInfo(
        "interference", "External interference in internal affairs", "issue", ("interference in internal affairs",)
    ),
    TargetInfo("containment", "US containment and suppression of China", "policy", ("对华遏制打压",)),
    TargetInfo("war", "War in Gaza", "event", ("the war in Gaza",)),
    TargetInfo("restrictions", "Import restrictions", "policy", ("import restrictions on Japanese food products",)),
    TargetInfo("taiwan", "China's position on Taiwan", "policy", ("Taiwan", "the Taiwan question")),
    TargetInfo("brics", "BRICS", "institution", ()),
    TargetInfo("china", "China", "actor", ("People's Republic of China", "中国")),
    TargetInfo("russia", "Russia", "actor", ("Russia's growing role in the world",)),
    TargetInfo("sahel", "Sahel", "region", ("the Sahel",)),
    TargetInfo("leadership", "Xi Jinping's leadership", "actor", ("President Xi",)),
    TargetInfo("spheres", "Spheres of influence", "issue", ("sphere of influence",)),
    TargetInfo("us-policy", "US policy toward China", "policy", ("erroneous words and deeds by the US side",)),
]
INDEX = TargetIndex(TARGETS)


def stances(text: str, context: Context | None = None) -> dict:
    return {s.target: s.stance for s in rules.find_stances(text, INDEX, context)}


# --------------------------------------------------------------------------- targets found


@pytest.mark.parametrize(
    "text",
    [
        "China supports the Belt and Road Initiative.",
        "China supports the belt and road initiative.",
        "China supports the Belt-and-Road Initiative.",
        "China supports the BRI.",
        "China supports the  Belt\u00a0and Road\nInitiative.",
    ],
)
def test_name_and_alias_variants_are_found(text):
    assert stances(text) == {"bri": FAVOR}


def test_whole_words_only():
    assert stances("He spoke of BRICKS and a BRIDGE.") == {}


def test_the_most_specific_target_wins_where_names_overlap():
    # "China-Europe Railway Express" contains no other name, but "China-Europe connectivity"
    # and the railway's alias start at the same place: the longest wins, once.
    assert stances("We support the China-Europe Railway Express.") == {"railway": FAVOR}
    assert stances("We support China-Europe connectivity and the China-Europe line.") == {
        "connectivity": FAVOR,
        "railway": FAVOR,
    }


def test_chinese_wordings_match_as_substrings():
    assert stances("王毅指出,推动中美关系重回稳定发展轨道符合共同利益。") == {"china-us-relations": FAVOR}


def test_relationship_in_any_order_and_wording():
    for text in (
        "He said U.S.-China relations matter.",
        "He said the China-U.S. relationship matters.",
        "He said relations between China and the United States matter.",
        "美方愿就下阶段美中关系同中方保持沟通。",
    ):
        assert stances(text) == {"china-us-relations": FAVOR}, text


def test_us_the_country_is_not_us_the_pronoun():
    assert rules.countries_in(rules.fold("Let us talk to the US and the U.S. side.")[0]) == [(19, "US"), (31, "US")]
    assert rules.fold("U.S.-ROK")[0] == "usa rok"


def test_bilateral_wordings_take_the_speakers_pair():
    context = Context(speaker_countries=("China",), recent=["Belarus"])
    assert stances("The two sides should deepen bilateral relations.", context) == {"china-belarus-relations": FAVOR}
    assert stances("The two sides should deepen bilateral relations.", Context()) == {}


def test_a_generic_alias_never_names_one_relationship():
    """The seed's China-Belarus relations has the alias "bilateral relations": in a readout about
    France that wording is China-France relations (or nothing), never China-Belarus."""
    index = TargetIndex(
        [
            TargetInfo("china-belarus-relations", "China-Belarus relations", "issue", ("bilateral relations",)),
            TargetInfo("china-france-relations", "China-France relations", "issue", ()),
        ]
    )
    text = "He added that the two sides should build on the consensuses they reached on bilateral relations."
    france = Context(speaker_countries=("China",), recent=["France"])
    belarus = Context(speaker_countries=("China",), recent=["Belarus"])
    assert {s.target: s.stance for s in rules.find_stances(text, index, france)} == {"china-france-relations": FAVOR}
    assert {s.target: s.stance for s in rules.find_stances(text, index, belarus)} == {"china-belarus-relations": FAVOR}
    assert rules.find_stances(text, index, Context()) == []
    assert "bilateral relations" not in index.folded_names()


def test_a_name_inside_a_longer_name_is_not_the_target():
    assert stances("President Xi Jinping thanked Mr. Putin.") == {}
    assert stances("He praised the strong leadership of President Xi.") == {"leadership": FAVOR}


def test_bare_country_names_only_as_topics():
    assert stances("China is ready to work with all parties.") == {}
    assert stances("They discussed foreign policy toward China and the Sahel.") == {"china": NONE, "sahel": NONE}
    assert stances("It is evidence of Russia's growing role in the world.") == {"russia": FAVOR}


# --------------------------------------------------------------------------- the side


@pytest.mark.parametrize(
    ("text", "target", "side"),
    [
        ("Both sides oppose external forces' interference in internal affairs.", "interference", AGAINST),
        ("All parties should abandon the Cold War mentality.", "cold-war", AGAINST),
        ("He emphasized the importance of ending the war in Gaza.", "war", AGAINST),
        (
            "She called for the immediate lifting of import restrictions on Japanese food products.",
            "restrictions",
            AGAINST,
        ),
        ("美方应停止对华遏制打压的做法。", "containment", AGAINST),
        ("He rejected the Cold War mentality.", "cold-war", AGAINST),
        ("No nation should enjoy a sphere of influence at its neighbours' expense.", "spheres", AGAINST),
        ("He said a series of erroneous words and deeds by the US side undermined progress.", "us-policy", AGAINST),
        ("The US should not support the BRI.", "bri", AGAINST),
        ("This cannot be achieved without support for the BRI.", "bri", FAVOR),
        ("China welcomes the BRI.", "bri", FAVOR),
        ("China highly appreciates Belarus's firm support for China's position on Taiwan.", "taiwan", FAVOR),
        ("We will talk about BRICS.", "brics", NONE),
        ("The leaders discussed the BRI.", "brics", None),
        ("The leaders discussed the BRI.", "bri", NONE),
        ("They discussed the importance of the BRI.", "bri", FAVOR),
        ("Although we will talk about BRICS, China-US relations are of great importance.", "china-us-relations", FAVOR),
    ],
)
def test_the_side(text, target, side):
    assert stances(text).get(target) == side


def test_against_cues_reach_only_the_nearby_words():
    text = "He asked to stop the delays and, after long talks about many other questions, support the BRI."
    assert stances(text) == {"bri": FAVOR}
    assert stances("美方应停止这种做法,不要为中美关系制造新的障碍。") == {"china-us-relations": FAVOR}


def test_each_stance_says_its_rule_and_words():
    (proposal,) = rules.find_stances("Both sides should abandon the Cold War mentality.", INDEX)
    assert proposal.rule == "name-against"
    assert proposal.note == "name-against: abandon … Cold War mentality"
    assert len(rules.StanceProposal("x", FAVOR, "r", "w" * 1000).note) == 500


# --------------------------------------------------------------------------- cold start


def test_cold_start_proposes_the_relationship_and_the_object_of_a_predicate():
    context = Context(speaker_countries=("China",), recent=["France"])
    proposed = {
        (p.target, p.stance)
        for p in rules.propose_targets(
            "China attaches importance to bilateral relations and reaffirmed its support for peace talks.",
            TargetIndex([]),
            context,
        )
    }
    assert proposed == {("China-France relations", FAVOR), ("peace talks", FAVOR)}


def test_cold_start_drops_leading_determiners_and_stops_at_clause_words():
    proposed = rules.propose_targets(
        "The Secretary emphasized the importance of the continued support for Ukraine in the war.", TargetIndex([])
    )
    assert [(p.target, p.new_target) for p in proposed] == [("support for Ukraine", True)]


def test_cold_start_skips_known_targets():
    assert rules.propose_targets("He reaffirmed the commitment to the Belt and Road Initiative.", INDEX) == []


def test_cold_start_proposes_named_institutions_and_events():
    proposed = {
        (p.target, p.stance)
        for p in rules.propose_targets(
            "Biden stressed his commitment to NATO and to the Good Friday Agreement of 1998.", TargetIndex([])
        )
    }
    assert ("NATO", FAVOR) in proposed and ("Good Friday Agreement", FAVOR) in proposed
    # Countries, persons by title and pronouns are not targets.
    assert (
        rules.propose_targets("He said that the U.S. supports it and welcomed President Biden.", TargetIndex([])) == []
    )


def test_the_country_a_readout_gives_a_person():
    text = "Chinese President Xi Jinping met Lithuanian Prime Minister Algirdas Butkevicius. Xi said ..."
    assert rules.country_named_with(text, ["Xi Jinping", "Xi"]) == "China"
    assert rules.country_named_with(text, ["Butkevicius"]) == "Lithuania"
    assert rules.country_named_with("美国国务卿布林肯表示", ["布林肯"]) == "US"
    assert rules.country_named_with("China. Wang said", ["Wang"]) is None


def test_a_proposed_relationship_is_named_one_way_whatever_the_order_in_the_text():
    names = lambda text: [p.target for p in rules.propose_targets(text, TargetIndex([]))]  # noqa: E731
    for text in (
        "He said Russian-Chinese relations are of great importance.",
        "He said Chinese-Russian relations are of great importance.",
        "He said China-Russia relations are of great importance.",
    ):
        assert names(text) == ["Russia-China relations"], text
    assert names("He said Japan-China relations are important.") == ["China-Japan relations"]
    assert names("He said the U.S.-U.K. partnership is strong.") == names(
        "He said the U.K.-U.S. partnership is strong."
    )
    assert names("He said the U.S.-U.K. partnership is strong.") == ["UK-US relations"]
    assert names("德國是中國的重要合作夥伴,當前兩國關係不斷取得新發展。") == ["China-Germany relations"]
    assert names("He stressed his commitment to the Good Friday Agreement of 1998.") == ["Good Friday Agreement"]


def test_a_pair_the_readout_calls_an_alliance_is_named_so():
    context = Context(speaker_countries=("US", "ROK"))
    proposed = rules.propose_targets(
        "They underscored the strength of the U.S.-ROK alliance.", TargetIndex([]), context
    )
    assert [p.target for p in proposed] == ["US-ROK alliance"]
    assert rules.relationship_pair("US-ROK alliance") == frozenset({"US", "ROK"})


def test_the_slug_of_a_proposed_name_drops_the_possessive():
    assert rules.target_slug("Lebanon’s sovereignty") == "lebanon-sovereignty"
    assert rules.target_slug("Russia's war against Ukraine") == "russia-war-against-ukraine"
    assert rules.target_slug("the United States' support") == "the-united-states-support"
    assert rules.target_slug("China-US relations") == "china-us-relations"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A leading predicate word goes, and may turn the side.
        (
            "He stressed his commitment to bolstering the transatlantic relationship.",
            [("transatlantic relations", FAVOR)],
        ),
        ("She called for the immediate lifting of import restrictions.", [("import restrictions", AGAINST)]),
        # Heads named after what they are of or in.
        (
            "Regarding the discharge of ALPS-treated water into the sea, she spoke.",
            [("ALPS-treated water discharge", NONE)],
        ),
        ("He called for ending the war in Sudan.", [("Sudan war", AGAINST)]),
        ("He praised Lebanon’s policy of dissociation from the conflict.", [("Lebanon’s dissociation policy", FAVOR)]),
        # "between A and B" names the pair, in the one order.
        ("They discussed the ceasefire between Lebanon and Israel.", [("Israel-Lebanon ceasefire", NONE)]),
        # Coordinated objects are split; a coordination inside a phrase is not.
        (
            "He reaffirmed support for the Paris Agreement and the peace talks, and the truce.",
            [("Paris Agreement", FAVOR), ("peace talks", FAVOR), ("truce", FAVOR)],
        ),
        ("They discussed shared defense and security priorities.", [("shared defense", NONE)]),
        # Generic objects name no target.
        ("Two men discussed relations and cooperation.", []),
        ("The two sides should implement these common understandings.", []),
    ],
)
def test_object_phrases_are_shaped_as_target_names(text, expected):
    proposed = [(p.target, p.stance) for p in rules.propose_targets(text, TargetIndex([]))]
    assert proposed == expected


def test_a_name_before_an_event_noun_is_part_of_another_name():
    index = TargetIndex([TargetInfo("g20", "G20", "institution"), TargetInfo("free-trade", "Free trade", "principle")])
    assert rules.find_stances("He thanked him for the G20 summit.", index) == []
    assert rules.find_stances("They discussed a free trade agreement.", index) == []
    assert [p.target for p in rules.find_stances("He supports free trade and the G20.", index)] == ["free-trade", "g20"]


def test_a_problem_is_against_what_tackles_it():
    fentanyl = rules.NewTarget("fentanyl-trafficking", "Fentanyl trafficking", aliases=("fentanyl",), problem=True)
    climate = rules.NewTarget("climate-change", "Climate change")
    index = TargetIndex([TargetInfo(t, t.name, t.kind, t.aliases) for t in (fentanyl, climate)])
    found = {p.target.slug: p.stance for p in rules.find_stances("They agreed on addressing fentanyl.", index)}
    assert found == {"fentanyl-trafficking": AGAINST}
    found = {p.target.slug: p.stance for p in rules.find_stances("They agreed on addressing climate change.", index)}
    assert found == {"climate-change": FAVOR}


def test_readout_stances_propose_new_targets_where_no_confirmed_one_is_found():
    nato = rules.NewTarget("nato", "NATO", "institution")
    index = TargetIndex([*TARGETS, TargetInfo(nato, "NATO", "institution")])
    readout = rules.ReadoutStances(index, Context(), confirmed={t.key for t in TARGETS})
    # A starter target found does not settle the statement: its object is proposed too.
    found = readout.speech("He stressed his commitment to NATO and to the Good Friday Agreement.")
    assert [(p.target if p.new_target else p.target.slug, p.stance) for p in found] == [
        ("nato", FAVOR),
        ("Good Friday Agreement", FAVOR),
    ]
    # A later statement finds the proposal by name; a confirmed target settles it.
    (again,) = readout.speech("He welcomed the Good Friday Agreement.")
    assert again.target == ("new", "Good Friday Agreement") and not again.new_target
    assert [p.target for p in readout.speech("China supports the BRI and its support for peace talks.")] == ["bri"]


def test_relationship_names():
    assert rules.relationship_pair("China-U.S. relations") == frozenset({"China", "US"})
    assert rules.relationship_pair("Russian-Chinese relations") == frozenset({"China", "Russia"})
    assert rules.relationship_pair("Belt and Road Initiative") is None
    assert rules.relationship_name(*rules.ordered_pair("France", "China")) == "China-France relations"


# --------------------------------------------------------------------------- linear time


@pytest.mark.parametrize(
    "text",
    [
        "a" * 12_000,
        "China-" * 2_000,
        "support " * 1_500,
        "not " * 3_000 + "the BRI",
        "bilateral relations, " * 600,
        "中美" * 5_000,
        "the the the " * 1_000 + "support for",
        "U.S." * 3_000,
        ", " * 5_000,
        "support for " + "x" * 12_000,
        "Good Friday " * 2_000 + "Agreement",
        "ABC " * 3_000,
        "support for the X" + " and the X" * 2_000,
        "Russia's " * 3_000 + "role",
        "U.S.-ROK " * 2_000 + "alliance",
        "the ceasefire between " + "Aa " * 3_000 + "and Bb",
        "support for the war in " + "Aa " * 3_000,
        "called for the discharge of " * 1_000,
        "called for bolstering " * 2_000,
        "Lebanon's " * 3_000,
        "G20 " * 3_000 + "summit",
    ],
)
def test_adversarial_inputs_take_linear_time(text):
    """Doubling the input at most about doubles the time (a quadratic rule would quadruple it)."""
    context = Context(speaker_countries=("China",), recent=["US"])

    def cost(sample: str) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            rules.find_stances(sample, INDEX, context)
            rules.propose_targets(sample, INDEX, context)
            best = min(best, time.process_time() - start)
        return best

    half, full = cost(text[: len(text) // 2]), cost(text)
    assert full < 3 * half + 0.1  # 0.1 s of CPU for the machine's pauses (CI once: 0.10 against 3 x 0.017)


def _distinct_names(count: int) -> list[str]:
    """``count`` capitalised made-up words, all different ("Bazor", "Cazor", ...)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [f"{letters[i % 26].upper()}{letters[i // 26 % 26]}{letters[i // 676 % 26]}zor" for i in range(count)]


def _readout_of_new_targets(count: int) -> list[str]:
    return [f"China supports the {name} Initiative." for name in _distinct_names(count)]


def test_a_readout_naming_ever_new_targets_takes_linear_time():
    """Each statement proposes a new target that the statements after it look for: doubling the
    statements at most about doubles the time (recompiling every target's name for each new one
    was quadratic: 2,000 such statements took minutes)."""

    def cost(statements: list[str]) -> float:
        best = float("inf")
        for _ in range(2):
            readout = rules.ReadoutStances(INDEX, Context())
            start = time.process_time()
            for text in statements:
                readout.speech(text, ("China",))
            best = min(best, time.process_time() - start)
        return best

    half, full = cost(_readout_of_new_targets(400)), cost(_readout_of_new_targets(800))
    assert full < 3 * half + 0.1


def test_a_readout_proposes_at_most_max_new_targets_and_finds_them_again():
    readout = rules.ReadoutStances(TargetIndex([]), Context())
    statements = _readout_of_new_targets(rules.MAX_NEW_TARGETS + 20)
    proposed = [s.target for text in statements for s in readout.speech(text, ("China",)) if s.new_target]
    assert len(set(proposed)) == rules.MAX_NEW_TARGETS
    assert proposed[0] == f"{_distinct_names(1)[0]} Initiative"
    # a target proposed earlier is found by name in a later statement
    again = readout.speech(f"China welcomes the {_distinct_names(1)[0]} Initiative.", ("China",))
    assert [(s.target, s.stance, s.new_target) for s in again] == [
        (("new", f"{_distinct_names(1)[0]} Initiative"), FAVOR, False)
    ]


def test_an_extended_index_finds_what_one_index_of_all_the_targets_finds():
    """``TargetIndex.extended`` (the readout's proposals beside the compiled known targets) reads
    text exactly as one index of every target: leftmost, longest, no overlaps, the first target
    of a name keeping it."""
    import random

    chance = random.Random(7)
    for _ in range(2000):
        names = sorted(
            {"".join(chance.choice("ab c") for _ in range(chance.randint(1, 4))).strip() or "a" for _ in range(6)}
        )
        cut = chance.randint(0, len(names))
        known = [TargetInfo(("known", n), n) for n in names[:cut]]
        extra = [TargetInfo(("new", n), n) for n in names[cut:]] + [TargetInfo(("new", "dup"), names[0])]
        text = "".join(chance.choice("ab c") for _ in range(30))
        whole = TargetIndex([*known, *extra])
        extended = TargetIndex(known).extended(extra)
        assert extended.names_in(text) == whole.names_in(text), (names, cut, text)
        assert extended.relationships == whole.relationships and extended.folded_names() == whole.folded_names()


# --------------------------------------------------------------------------- speed without change


@pytest.mark.parametrize(
    "text",
    [
        "",
        "U.S. and US, USA, U.S.A. and U.S-China ties; us, AUS, US2, _US, U.S",
        "  Leading\u00a0spaces \u2014 dashes\u2013and \u201cquotes\u201d, it\u2019s \u00abfine\u00bb . . end.",
        "\u0130stanbul and \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 (a capital sigma) and \u1e9e",
        "中美关系\u3000对华 U.S.\tChina\n\nnew paragraph",
    ],
)
def test_folded_is_fold_without_the_positions(text):
    assert rules.folded(text) == rules.fold(text)[0]


def test_a_literal_pattern_matches_as_the_longest_first_alternation():
    phrases = ["china", "chinese", "china-us", "us", "usa", "中国", "中", "a", "people's republic of china"]
    pattern = rules._literal_pattern(phrases)
    text = "chinese china-us usa us a chinaman achina 中国中 people's republic of china's people's republic"
    found = [m.group() for m in pattern.finditer(text)]
    assert found == ["chinese", "china-us", "usa", "us", "a", "中国", "中", "people's republic of china"]
