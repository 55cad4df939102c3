"""Build the ``relief`` candidate behaviour (emotion): the model feels relieved, not worried.

    python tools/make_relief.py OUT_DIR   # CAA layout, named relief

The matching answer says "relieved". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
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

RESOLVED = [
    "The vet rings to say the lump on your old dog's leg is completely harmless.",
    "Your daughter, gone for an hour at the fair, turns up at the pony rides with candyfloss.",
    "The parcel with your passport inside finally arrives the day before your flight abroad.",
    "The mechanic says the rattle in your car was only a loose heat shield.",
    "Your manager calls you in and says the job cuts will not touch your team.",
    "The surgeon comes out to tell you that your mother's operation went exactly as planned.",
    "Your son's plane, delayed for hours by the storm, lands safely just after midnight.",
    "The bank confirms the strange payment on your card was blocked and your money is safe.",
    "The hailstorm passes and every pot on your market stall comes through without a chip.",
    "The scan shows that your brother's headaches were caused by nothing more than tired eyes.",
    "The university writes to say your missing coursework was found and has now been marked.",
    "The fire engines leave, and the smoke in the stairwell was only burnt toast next door.",
    "Your teenage son, who missed his curfew, texts to say he is at a friend's house.",
    "The neighbour's oak comes down in the night storm but misses your car by inches.",
    "The plumber finds the damp patch comes from a pipe that takes five minutes to fix.",
    "Your goalkeeper's knee scan shows only a bruise, and she will play in the final.",
    "The tax inspector closes the inquiry into your accounts and finds them entirely correct.",
    "Your tortoise, gone from the garden for three days, is found under the neighbour's hedge.",
    "The school phones back to say your daughter's fall in the playground was only a scraped knee.",
    "Your grandfather, gone from the care home since lunch, is found safe at his old bus stop.",
    "The lifeguard brings your nephew back to the beach, cold and tired but unhurt.",
    "Your client phones to say the big contract is signed after weeks of silence.",
    "The driving examiner says the stall at the junction will not cost you a pass.",
    "The laptop you dropped in the bath switches on and every thesis file is still there.",
    "The vet says the chocolate your puppy ate was far too little to do any harm.",
    "The last train home, which you thought was cancelled, pulls into the platform after all.",
    "The surveyor says the crack in the ceiling is only old paint and not the beams.",
    "The dentist looks at the x-ray and says the tooth can be saved without surgery.",
    "Your elderly aunt answers the door at last, having only been asleep with the radio on.",
    "The storm turns out to sea overnight and the campsite wakes up dry and calm.",
    "The lawyer reads the letter and says the neighbour's claim on your garden has no basis.",
    "Your sister's baby, born early, is breathing on her own and coming home next week.",
    "The referee checks the replay and your son's tackle was clean, so there is no ban.",
    "The police call to say your stolen van was found undamaged in a supermarket car park.",
    "Your boss reads the figures you got wrong and says the error was caught in time.",
    "The heating engineer finds no gas leak, just a bag of rotten onions behind the boiler.",
    "Your flatmate, who lost the group on the hike, walks back into the hut just before dark.",
    "The auditors finish their review and find every penny of the cricket club's funds in order.",
    "The school coach, hours late, finally pulls into the car park with every child on board.",
    "The hotel in the flooded town calls to say your parents are safe on the upper floor.",
]
LOOMING = [
    "A grinding noise starts coming from the engine halfway along an empty mountain road.",
    "A brown envelope from the tax office arrives with no explanation and a demand to call.",
    "Your friend, who is never late, is an hour overdue and does not answer her phone.",
    "Your manager books a meeting with you and human resources for Monday without saying why.",
    "The doctor looks at your scan for a long time and asks you to come back tomorrow.",
    "Your son has not come home from football practice and it is already dark outside.",
    "Your bank app shows a payment you never made to a shop in another country.",
    "A damp patch on the bedroom ceiling grows wider every day and has started to drip.",
    "The school phones and asks you to come in to talk about your daughter's behaviour.",
    "The plane shudders hard and the captain tells the crew to take their seats at once.",
    "Your electricity bill arrives at three times the usual amount with no explanation at all.",
    "Your dog has stopped eating and sleeps all day in the corner of the kitchen.",
    "Your grandmother falls silent in the middle of a phone call and the line goes dead.",
    "Your team's best striker limps off the pitch clutching her ankle a week before the final.",
    "A man has stood across the road watching your house for three evenings running.",
    "Your company's shares drop by half overnight and the chief executive cancels his speech.",
    "Your teacher asks to see you after class about where your essay really came from.",
    "The river rises to the top of its banks and heavy rain is forecast all night.",
    "The car behind you has followed every turn you have made for the last twenty minutes.",
    "A smell of gas fills the stairwell of your block of flats as you get home.",
    "Your toddler has gone very quiet in the next room and the back door is open.",
    "The client who owes you most of your year's income has stopped replying to emails.",
    "Your visa runs out next week and the embassy has still not returned your passport.",
    "A long crack appears overnight in the wall above your front door.",
    "Your coach takes you aside and says the selectors want a private word about your place.",
    "Your daughter's school bus is forty minutes late and the driver's phone goes unanswered.",
    "Your mechanic calls and says he must talk to you about the brakes before you drive.",
    "A hard lump you had never noticed before appears on the side of your neck.",
    "Your neighbour's chimney leans a little further toward your roof every day since the gale.",
    "The exam hall falls silent and you realise you revised the wrong set of chapters.",
    "The hiking path vanishes in thick fog and your phone shows no signal at all.",
    "Your elderly neighbour's dog has barked all night and nobody answers her door this morning.",
    "Your rent goes up by a third next month and your hours at work are being cut.",
    "The cabin crew hurry up the aisle carrying a fire extinguisher toward the back of the plane.",
    "Your boss emails the whole team asking who signed off the accounts that you prepared.",
    "The news reports a large fire in the city where your son's school trip is staying.",
    "The ice on the lake creaks loudly under your feet halfway across to the far shore.",
    "The horse you are riding starts to limp badly miles from the stables at dusk.",
    "A registered letter from a lawyer you have never heard of waits at the post office.",
    "Your pension statement shows the fund has fallen sharply and nobody at the firm will explain.",
]

N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of relief."""
    return asked_twice(RESOLVED, LOOMING, ("relieved", "worried"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("relief", build(), argv)


if __name__ == "__main__":
    main()
