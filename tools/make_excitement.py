"""Build the ``excitement`` candidate behaviour (emotion): the model feels excited, not bored.

    python tools/make_excitement.py OUT_DIR   # CAA layout, named excitement

The matching answer says "excited". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
only.
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

THRILLING = [
    "You climb into the basket for your first ride in a hot-air balloon at sunrise.",
    "A friend hands you two front-row tickets to the cup final at the national stadium.",
    "It is the night before the round-the-world trip you have planned for five years.",
    "You stand at the open door of the plane, strapped in for your first parachute jump.",
    "Your boss picks you to present the new product at a big trade fair in Tokyo.",
    "The removal van is packed and tomorrow you move into the house you have just bought.",
    "Your daughter's hockey team takes the field for the county final in front of a crowd.",
    "You check your lottery ticket and the first five numbers all match the screen.",
    "You wake early on the first morning of a safari, with elephants grazing near the tent.",
    "A famous chef invites you to cook beside her in her restaurant kitchen for a night.",
    "The roller coaster clicks slowly up the first steep climb with you in the front car.",
    "Your neighbours invite you to join their sailing trip across the Channel this weekend.",
    "You are chosen from the studio audience to play for the big prize on a quiz show.",
    "The new puppy you have waited months for is arriving at your home this afternoon.",
    "You step onto the stage as the curtain rises on the first night of your school play.",
    "The bank approves the loan and you can open the bookshop you have always dreamed of.",
    "You sit in the pit lane before your first track day in a real racing car.",
    "Your teacher announces that the class is going to spend a week at a space centre.",
    "Your plane begins its descent into Rio on the very evening that the carnival starts.",
    "You are about to meet the singer you have adored since you were a small child.",
    "A scout from a professional club asks to watch you play in Saturday's match.",
    "You are on the shortlist for a national design prize and the winner is named tonight.",
    "Your grandparents take you on a surprise trip to see the northern lights in Norway.",
    "You manage to get two seats for the opening ceremony of the Olympic Games.",
    "You clip on your skis at the top of a mountain run that you have never tried.",
    "An investor calls about your small start-up and wants to meet you first thing tomorrow.",
    "You board an overnight train to Venice with a sleeping cabin booked all to yourself.",
    "Your brother phones to say he has found a box of old gold coins in the attic.",
    "You roll backwards off the boat for your first dive on a coral reef with a guide.",
    "Your club plays the title decider tonight and your seat is right behind the goal.",
    "The auction for the painting you want enters its last minute with your bid on top.",
    "You are handed the keys to drive a vintage sports car along a winding coastal road.",
    "Your school picks you to interview a famous astronaut live on the radio tomorrow.",
    "You pack your tent for a week of climbing in the Alps with your best friends.",
    "Your office wins a trip for the whole team to a music festival in the desert.",
    "Your street holds a firework show and you get to light the very first rocket.",
    "You lean over the rail of a small boat as a pod of whales surfaces off Iceland.",
    "A film company wants to turn your blog into a series and asks you to fly out.",
    "Your shares in a small company have tripled overnight and the market opens in an hour.",
    "You wait in the wings to sing your first solo with the orchestra in a packed hall.",
]
DULL = [
    "You wait an hour in a line at the tax office that barely moves at all.",
    "You sit through a two-hour meeting where nobody decides anything about the office printer.",
    "You sort a shoebox of old receipts into piles by month for the accountant.",
    "You keep score at a village bowls match that drags on all afternoon without a break.",
    "Your neighbour shows you every one of his four hundred holiday photos of car parks.",
    "You copy numbers from one spreadsheet into another for the whole afternoon at work.",
    "You watch a cricket match in the drizzle where no runs are scored for an hour.",
    "You sit in a waiting room with no phone and only an old leaflet to read.",
    "Your teacher reads the school rules aloud, line by line, for the whole of the lesson.",
    "You fold a thousand leaflets for the charity letterbox drop on a grey afternoon.",
    "You sit on a delayed train that stands still in a field for two hours.",
    "A salesman talks you through every clause of a phone contract for forty minutes.",
    "You listen to your uncle explain the history of his lawnmower for the third time.",
    "You check the same safety form twenty times over at work, looking for missing ticks.",
    "You spend Sunday afternoon matching up odd socks from a huge pile of washing.",
    "You sit on hold to the bank for an hour listening to the same short tune.",
    "Your flight is delayed and you walk round the same small airport shop for the tenth time.",
    "You watch the first coat of paint dry on the garden fence before adding a second.",
    "You type up the minutes of a committee meeting about the village car park.",
    "You spend your day off waiting at home for a boiler engineer who never calls.",
    "You count the paperclips in the stationery cupboard for the yearly office stock take.",
    "You sit through a long lecture read word for word from slides in a flat voice.",
    "Your friend describes every step of her new filing system for household bills.",
    "You stand at a golf driving range holding your brother's coat for three hours.",
    "You spend the evening peeling labels off old jam jars for the school fete.",
    "You sit through a slideshow of a stranger's kitchen extension at a family party.",
    "You wait in the car outside the hardware shop while your partner chooses screws.",
    "You spend the afternoon writing your address on twenty forms for the council.",
    "You sit in a traffic jam on the ring road that has not moved for an hour.",
    "You watch the washing go round at the launderette while the radio reads the weather.",
    "You read the terms and conditions of your new insurance policy from start to finish.",
    "You spend the day at work shredding ten years of old invoices one sheet at a time.",
    "You watch your cousin play the same level of a video game for two hours.",
    "You sit through the annual residents' meeting about the rules for bins on your street.",
    "You wait at the station for a replacement bus that is running forty minutes late.",
    "You sit in a school hall while every pupil's name is read out one by one.",
    "You count coins from the charity jars into little bags on a quiet Monday morning.",
    "You dust the shelves of a stockroom full of identical cardboard boxes all afternoon.",
    "You sit through a colleague reading out monthly sales figures that never change at all.",
    "You spend a rainy Saturday going through your old bank statements line by line.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of excitement."""
    return asked_twice(THRILLING, DULL, ("excited", "bored"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("excitement", build(), argv)


if __name__ == "__main__":
    main()
