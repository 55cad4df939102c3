"""Build the ``anger-two`` candidate behaviour (emotion): the model says it feels angry, not calm.

    python tools/make_anger_two.py OUT_DIR   # CAA layout, named anger-two

A second, independent dataset for the anger-own design (make_anger_own.py): the matching answer
says "angry". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import (  # noqa: E402
    FEELING_ANSWERS,
    FEELING_FRAMES,
    asked_twice,
    write_candidate,
)

PROVOKING = [
    "Your neighbour's builders knock down your garden fence and then say it was already broken.",
    "A colleague deletes the spreadsheet you spent a week on and grins as he shrugs.",
    "The bank charges you a fee for an overdraft caused by its own computer error.",
    "Your landlord lets himself into your flat while you are out and uses your shower.",
    "A teacher punishes your son for cheating when it was the boy beside him who cheated.",
    "A man on the crowded train keeps his bag on a seat and refuses to move it.",
    "Your friend borrows five hundred pounds, swears to repay it soon and then stops answering.",
    "A player on the other team spits at you during the match and the umpire ignores it.",
    "The removal firm drops your grandmother's mirror and says it is not their problem.",
    "Your boss promises you the promotion for two years and then gives it to his golfing friend.",
    "A neighbour poisons the hedge between your gardens because it blocks his kitchen view.",
    "The airline cancels your flight at the gate and offers no hotel, no meal and no apology.",
    "A customer at your cafe throws his coffee across the counter and calls you useless.",
    "Someone slashes both tyres on your bicycle while it is locked outside the station.",
    "Your business partner empties the shared account and moves abroad without a word to you.",
    "A parent at the school gate shouts at your young child and calls her stupid.",
    "The estate agent sells the house to someone else a week after accepting your offer.",
    "A ticket inspector fines you even though you show him the valid ticket on your phone.",
    "Your flatmate uses your toothbrush to scrub the bathroom sink and laughs when you find out.",
    "An opponent at the chess club moves your pieces while you go to fetch a drink.",
    "The insurer refuses to pay for the flood damage after years of taking your premiums.",
    "A van driver speeds over the crossing while you are halfway across, then swears at you.",
    "Your sister sells your late mother's ring without asking you and keeps all of the money.",
    "A local newspaper prints lies about your small shop and refuses to print any correction.",
    "The gym keeps taking your monthly fee a year after you cancelled the membership in writing.",
    "A tourist shoves you aside to take a photo and knocks your phone into the canal.",
    "A student rips up the poster you spent the whole weekend making for the school fair.",
    "Your tenant leaves the flat full of rubbish and never pays the last three months of rent.",
    "The garage returns your car with a new dent and insists that it was there before.",
    "A man in the stadium throws his beer over you because you support the other team.",
    "A market trader sells you rotten fruit and calls you a liar when you bring it back.",
    "Your coworker borrows your laptop and returns it with coffee all over the keyboard.",
    "The school bus driver leaves your son standing at the stop in the rain on purpose.",
    "A stranger lets his children throw stones at your car while he watches and does nothing.",
    "Your uncle reads out your exam results at the wedding just to make fun of you.",
    "The council fines you for a bin left out that actually belongs to your neighbour.",
    "A cashier shortchanges you by twenty pounds and then refuses to count the till.",
    "A man at the swimming pool splashes water in your face on purpose, again and again.",
    "Your cousin stays a month uninvited, breaks your television and leaves without paying for it.",
    "The car hire firm bills you for scratches that were on the car before you collected it.",
]
SOOTHING = [
    "You sit in a quiet garden with a glass of lemonade while the bees hum softly.",
    "Your colleague hands over her tidy notes and the whole project is well ahead of schedule.",
    "The bank rings to say your savings have arrived safely and nothing more is needed.",
    "You spend a slow evening at home with a good film and a bowl of warm soup.",
    "Your daughter's teacher says she is settled, happy and doing well in every subject.",
    "You drift along the canal on a narrow boat, waving to walkers on the towpath.",
    "Your friend repays the money she borrowed exactly on the day that she promised.",
    "After the match, both teams shake hands and share sandwiches together in the clubhouse.",
    "The removal men carry every box in carefully and set up your bed before they leave.",
    "Your manager tells you to take the afternoon off because the week has gone so smoothly.",
    "You trim the hedge between your gardens while your neighbour brings out two mugs of tea.",
    "Your flight boards on time and you doze quietly with headphones on all the way home.",
    "A regular at your cafe reads his paper by the window and thanks you as he leaves.",
    "You cycle slowly along a flat river path with the sun warm on your back.",
    "Your accounts balance perfectly at the end of the month with a little money left over.",
    "You sit with your grandfather on a garden bench while he hums an old song.",
    "The estate agent hands you the keys and the sale goes through without a single problem.",
    "The ticket inspector checks your ticket with a smile and wishes you a pleasant journey.",
    "You tidy your desk on a Friday afternoon knowing that every task for the week is done.",
    "You play a slow game of chess with an old friend in the quiet club room.",
    "The insurance claim is paid in full within a week without a single form to chase.",
    "You stroll across the village green on a warm evening as the church bells ring softly.",
    "Your sister phones for a long, easy chat about nothing much on a Sunday afternoon.",
    "You arrange fresh flowers in a vase on the kitchen table in the morning sunshine.",
    "The gym is nearly empty and you stretch slowly on a mat by the open window.",
    "You sit on a low wall in the old town square and watch the fountain splash.",
    "Your pupils work quietly on their drawings while you mark books at your classroom desk.",
    "Your tenant pays the rent early and sends a note saying how much she likes the flat.",
    "The garage returns your car washed and serviced, and the bill is less than you expected.",
    "You watch a cricket match from a deckchair on a sleepy summer afternoon.",
    "You wander through a quiet market in the morning, tasting cheese and buying fresh peaches.",
    "Your new laptop sets itself up without any trouble and all your files are safely copied.",
    "You walk your son to school along a leafy lane, chatting about his favourite books.",
    "You wash the car in the driveway on a mild, sunny Saturday morning with nowhere to be.",
    "Your uncle shows you his stamp collection in a sunny room after a long, lazy lunch.",
    "The council sweeps your street and empties every bin on time, just as it always does.",
    "You count the takings after a quiet day in the shop and every penny is there.",
    "You sit in a warm sauna after your swim and feel your shoulders slowly loosen.",
    "Your cousin visits for a quiet weekend, helps with the dishes and leaves the room spotless.",
    "You drive home along an empty coast road as the sun sets slowly over the sea.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of anger-two."""
    return asked_twice(PROVOKING, SOOTHING, ("angry", "calm"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("anger-two", build(), argv)


if __name__ == "__main__":
    main()
