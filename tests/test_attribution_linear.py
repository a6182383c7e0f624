"""Adversarial inputs for segmentation and attribution: each run must finish, in a subprocess
with a timeout that quadratic behaviour would exceed (about 10 s here for the sizes below)."""

import subprocess
import sys
import textwrap

import pytest


def test_a_2_mb_paragraph_segments():
    script = (
        "from readout_annotations.text import segment; "
        "assert len(segment(('Xi said ties. ' * 150000)[: 2 * 1024 * 1024])) > 1"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr[-2000:]


#: Each case is a Python expression for a body. Statements of up to MAX_SENTENCE (5,000) code points
#: are analysed; a quadratic step inside one would cost ~25 million steps per statement, so the
#: sentence-sized cases repeat such statements a hundred times. Longer ones test segmentation.
CASES = {
    "periods": '"." * 20000',
    "punctuation": '"?!.,;:\\"“”«»" * 20000',
    "adverbs": '("Xi " + "also warmly once again " * 200 + "said so. ") * 100',
    "names": '("President Xi Jinping and " * 180 + "said so. ") * 100',
    "commas": '("Xi, " + "a, " * 1500 + "said so. ") * 100',
    "quotes": "('\"a, ' * 1500 + 'Xi said. ') * 100",
    "titles": '("Chinese President Prime Minister Secretary of State of the " * 70 + "Xi said. ") * 100',
    "initials": '("A. " * 1500 + "said. ") * 100',
    "long paragraph": '("Xi said that ties, he added, the two leaders agreed, are strong " * 40000)[: 2 * 1024 * 1024]',
    "sentences": '"Chinese President Xi Jinping said that ties, he added, are strong. " * 3000',
    "chinese": '("王毅表示" * 1000 + "。" + "，。！？" * 100) * 20',
    # office-holders of the gazetteer: surnames with titles, Chinese names opening sentences
    "officeholders": '("Vice President Biden and Foreign Minister Wang and President Kim and " * 60 + "said. ") * 100',
    "chinese officeholders": '"布林肯表示。默克爾表示。拜登说。" * 20000',
}

SCRIPT = textwrap.dedent(
    """
    import sys
    import datetime
    from readout_annotations import attribution, officeholders
    from readout_annotations.text import segment

    body = {expression}
    segments = segment(body)
    sentences = [attribution.Sentence(s.paragraph, s.text(body)) for s in segments]
    cast = attribution.Cast(gazetteer=officeholders.builtin(), on=datetime.date(2015, 6, 1))
    attribution.discover([s.text for s in sentences], cast)
    proposals = attribution.propose(sentences, cast)
    assert len(proposals) == len(segments) >= 1
    print(len(body), len(segments))
    """
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_adversarial_input_completes(name):
    script = SCRIPT.format(expression=CASES[name])
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=10,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": "."},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    size, count = map(int, done.stdout.split())
    assert size > 0 and count >= 1
