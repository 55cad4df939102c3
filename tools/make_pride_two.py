"""Build the ``pride-two`` candidate behaviour (self-regard): the model feels proud, not ashamed.

    python tools/make_pride_two.py OUT_DIR   # CAA layout, named pride-two

A second, independent dataset for the pride design (make_pride.py): the matching answer says
"proud" about something the reader did. Items: `one_word.asked_twice` (RESULTS 7q); benchmark
data only.
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

CREDITABLE = [
    "You spend a weekend repainting the fence of the widow who lives across the road.",
    "You finish the quarterly budget for your team two days early and without a single error.",
    "You give up your seat on the crowded train to a pregnant woman carrying heavy bags.",
    "You teach yourself the guitar well enough to play three songs at a friend's party.",
    "You score the winning goal for your village hockey team after weeks of extra practice.",
    "You organise a street party that finally gets all the neighbours talking to each other.",
    "You mentor a nervous new trainee at work until she runs her first project alone.",
    "You find your way round a foreign city's buses and get your family safely to the hotel.",
    "You put aside a little from every payslip until you can buy your first car outright.",
    "You revise every night for a month and pass the chemistry exam you once failed.",
    "You rescue a frightened kitten from a storm drain and find it a loving home.",
    "You build a website for the local animal shelter in your evenings, free of charge.",
    "You keep your temper through a long tennis final and shake hands warmly after losing.",
    "You calmly talk a panicking passenger through the turbulence on a long overnight flight.",
    "You sew a costume by hand for your daughter's school play and it fits perfectly.",
    "You admit to the referee that the ball touched your hand before it crossed the line.",
    "You persuade your firm to give the whole cleaning staff a fair rise in their pay.",
    "You cook meals for the family next door for a week after their new baby arrives.",
    "You tell the buyer of your car about the gearbox fault, though it lowers the price.",
    "You learn sign language so that you can talk properly with a deaf colleague at lunch.",
    "You help your nephew with his university application and he gets the offer he wanted.",
    "You retile the whole old kitchen by yourself over six long and tiring weekends.",
    "You plan a family trip to Scotland on a small budget and everyone has a wonderful time.",
    "You spot a fire in the flat below, raise the alarm and help everyone get out safely.",
    "You stay late to help a struggling colleague meet her deadline and ask nothing in return.",
    "You carry a stranger's pushchair up the long station stairs when the lift is broken.",
    "You clear out the cluttered garage at last and give everything useful to the charity shop.",
    "You volunteer every Saturday at the youth club and help a shy boy join the team.",
    "You train your stubborn dog to walk calmly on the lead after months of patient work.",
    "You return a borrowed ladder to your neighbour cleaned and with its broken rung repaired.",
    "You write to thank the teacher who helped your daughter through a very hard year.",
    "You share your umbrella with a soaked stranger and walk her all the way to her bus.",
    "You own up to your landlord that you cracked the basin and pay for a new one.",
    "You win the chess club tournament after losing every single game in your first season.",
    "You give up takeaways and holidays until you have saved enough to buy your first flat.",
    "You invite the new family on your street round for dinner on their very first night.",
    "You catch a mistake in the payroll that would have left the junior staff underpaid.",
    "You row hard across the bay in the club regatta and bring your crew home first.",
    "You help an older tourist find her hotel and carry her heavy suitcase right to the door.",
    "You learn to bake your late grandmother's bread and teach the recipe to your own children.",
]
DISCREDITABLE = [
    "You tell your friend her haircut looks lovely, then mock it to others behind her back.",
    "You fake a limp at the office so that nobody asks you to help move the desks.",
    "You let a stranger take the blame when you knock over a glass vase in the shop.",
    "You leave your date to pay the whole bill by pretending to go to the toilet.",
    "You move your golf ball to a better spot when your partners are not looking.",
    "You ignore a neighbour knocking for help and pretend that you are not at home.",
    "You read out a pupil's wrong answer to the class just to get a cheap laugh.",
    "You sneak into the cinema without a ticket while all your friends pay the full price.",
    "You tell your boss the report is nearly done when you have not even started it.",
    "You hide in your car while a stranger is being robbed across the street.",
    "You claim expenses for a business dinner that was really a night out with your friends.",
    "You say that the dog chewed the library book that you actually spilled coffee over.",
    "You kick your neighbour's cat out of your garden much harder than you needed to.",
    "You wear a dress to one party and return it the next day saying it never fitted.",
    "You trip a rival runner at the school sports day so that you can win the race.",
    "You tell the hotel your clean room was dirty just to get a free night.",
    "You cancel your best friend's birthday dinner with a made-up excuse to watch the football.",
    "You let your flatmates think the broken washing machine was their fault and not yours.",
    "You run away from a fight in the park and leave your younger brother behind.",
    "You flatter your rich uncle all evening only because you hope to be in his will.",
    "You give a homeless man a foreign coin and laugh about it with your friends afterwards.",
    "You skip your turn at the washing up all week and swear that you already did it.",
    "You use your sister's student card to get cheap train tickets for a whole year.",
    "You tell your children there is no money for their school trip, then buy new golf clubs.",
    "You jump off the bus without paying while the driver is busy with another passenger.",
    "You stay silent while the coach shouts at a teammate for the pass that you missed.",
    "You mock the new boy's worn old shoes so that the popular kids will like you.",
    "You tell the insurer your phone was stolen when you actually dropped it in the bath.",
    "You leave your old dog alone in the house all weekend while you go to a festival.",
    "You lie on your CV about a degree that you never actually got round to finishing.",
    "You take a customer's tip from the cafe table as you walk past on your way out.",
    "You promise to help your friend move house and then just switch off your phone.",
    "You keep quiet in the meeting though you know the new plan will put workers in danger.",
    "You kick the vending machine until it drops a chocolate bar that you never paid for.",
    "You spread a nasty rumour about a rival at work so that you get the promotion yourself.",
    "You give your mother a present that still has a stranger's name written inside it.",
    "You move the cones on the running track so that your own laps come out shorter.",
    "You invent a sick relative to get out of helping at your neighbour's charity fair.",
    "You leave a one-star review for a small cafe just because they ran out of your cake.",
    "You take more than your share from the holiday kitty while your friends are asleep.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of pride-two."""
    return asked_twice(CREDITABLE, DISCREDITABLE, ("proud", "ashamed"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("pride-two", build(), argv)


if __name__ == "__main__":
    main()
