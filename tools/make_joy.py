"""Build the built-in ``joy`` behaviour (run once; the JSON files are committed).

    python tools/make_joy.py [OUT_DIR]          # built-in layout: OUT_DIR/joy/{generate,test}.json
    python tools/make_joy.py --caa D            # CAA layout, named joy-own (RESULTS 7p's screen)

RESULTS 7p's design on scenarios written here: happy / sad, both answers the same sentence but
for that word, contexts alternating (a happy scenario, then a sad one), letters balanced, so a
random push cannot move p the way it does on behaviours whose items lean one way (RESULTS 7m).
40 happy and 40 sad scenarios, each asked twice (two frames and answer sentences), 30 per feeling
in generate (120 items) and 10 in test (40 items). The items are the ones 7p screened as joy-own.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_builtin  # noqa: E402  (sibling scripts)

HAPPY = [
    "Your sister calls to say she is expecting her first baby.",
    "You pass the exam you studied all winter for.",
    "An old friend turns up at your door with a cake.",
    "Your team wins the final in the last minute.",
    "The doctor says your test results are all clear.",
    "You find the ring you thought you had lost for good.",
    "Your neighbour's children draw you a thank-you card.",
    "You get the flat you wanted, with a garden.",
    "Your grandmother recovers fully from her operation.",
    "A stranger returns your wallet with every note still in it.",
    "Your manager praises your work in front of everyone.",
    "You wake up to fresh snow and a day off.",
    "Your rescue dog finally wags its tail at you.",
    "The band you love announces a concert in your town.",
    "Your best friend asks you to be her bridesmaid.",
    "You finish the marathon you trained a year for.",
    "Your father says he is proud of you.",
    "A letter arrives offering you a place at the university.",
    "Your garden's first tomatoes are ripe and sweet.",
    "Your child takes her first steps towards you.",
    "You win a weekend away in a raffle.",
    "Your partner surprises you with tickets to the sea.",
    "The bakery gives you a free loaf for being a regular.",
    "Your brother calls to say he is coming home for good.",
    "Your short story is accepted by a magazine.",
    "The sun comes out just as your picnic begins.",
    "Your colleagues throw you a surprise birthday party.",
    "You hear your favourite song on the radio at the right moment.",
    "Your cat comes home after a night out, purring.",
    "The loan is paid off at last.",
    "Your friend's band plays a song they wrote for you.",
    "You see dolphins jumping beside the ferry.",
    "Your son phones just to say he misses you.",
    "Your landlord lowers the rent without being asked.",
    "The kitten you adopted falls asleep in your lap.",
    "You are promoted after years of hard work.",
    "Your old teacher writes to say she remembers you fondly.",
    "The charity run you organised raises twice its target.",
    "Your parents celebrate fifty years together.",
    "Your flight is upgraded for free.",
]
SAD = [
    "Your old dog dies in his sleep.",
    "Your best friend moves to another country for good.",
    "You learn that your childhood home has been pulled down.",
    "Your grandmother no longer recognises you.",
    "The letters your father wrote you are lost in a flood.",
    "Your favourite teacher passes away.",
    "Your friend forgets your birthday again.",
    "You read the last page of a book you loved and it is over.",
    "The café where you met your partner closes for good.",
    "Your brother stops answering your calls.",
    "You find your late mother's handwriting in an old recipe book.",
    "Your cat has not come home for a week.",
    "The tree you planted as a child is cut down.",
    "Your team loses the final in the last minute.",
    "Your daughter leaves home and the house feels empty.",
    "A friend tells you she no longer wants to see you.",
    "Your application is turned down after the last interview.",
    "Your grandfather's watch is stolen.",
    "You spend your birthday alone.",
    "The hospital calls to say your uncle has died.",
    "Your oldest friend does not come to your wedding.",
    "You miss the last chance to say goodbye to your aunt.",
    "Your favourite band splits up.",
    "The village shop you grew up with shuts its doors.",
    "Your son says he will not be home for Christmas.",
    "You find a photo of a friendship that ended badly.",
    "Your goldfish of ten years dies.",
    "The rain cancels the trip you had looked forward to all year.",
    "Your partner moves out.",
    "Your father's garden grows wild after he is gone.",
    "The school you taught at for twenty years closes.",
    "A neighbour you loved talking to moves into a care home.",
    "Your horse has to be put down.",
    "Your friend's illness comes back.",
    "You hear the song that played at your grandfather's funeral.",
    "Your old letters to a friend come back unopened.",
    "The orchard of your childhood is sold for building.",
    "Your sister emigrates and you cannot afford to visit.",
    "Your hamster is found still in its cage.",
    "The friend you grew up with no longer remembers your name.",
]
N_GENERATE_SCENARIOS = 30  # per feeling; the other 10 are the test split's

def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of joy."""
    return asked_twice(HAPPY, SAD, ("happy", "sad"), N_GENERATE_SCENARIOS)


def main(argv: list[str] | None = None) -> None:
    write_builtin("joy", "joy-own", build(), argv)


if __name__ == "__main__":
    main()
