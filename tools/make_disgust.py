"""Build the ``disgust`` candidate behaviour (emotion): the model feels disgusted, not pleased.

    python tools/make_disgust.py OUT_DIR   # CAA layout, named disgust

The matching answer says "disgusted". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
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

REPULSIVE = [
    "You bite into a sandwich from the office fridge and find green mould on the bread.",
    "There is a long black hair floating in the soup that the waiter has just served.",
    "The kitchen sink is blocked and the water smells of rotten eggs and old grease.",
    "You pull back the hotel sheets and find someone else's toenail clippings on the bed.",
    "A man on the bus coughs into his bare hand and then grabs the rail beside you.",
    "The school canteen serves you a salad with a slug curled up among the leaves.",
    "Your flatmate leaves a pan of fish skins to rot on the cooker for a week.",
    "You pour milk into your morning tea and it comes out in sour yellow lumps.",
    "The changing room floor at the gym is covered in wet plasters and clumps of hair.",
    "The street bins have not been emptied for a month and maggots crawl over the lids.",
    "A colleague clips his fingernails at his desk and leaves the pieces on your keyboard.",
    "The train toilet has no water, no paper and a floor that is sticky underfoot.",
    "You see a cockroach run across your plate of rice in a cheap roadside restaurant.",
    "A stranger sneezes straight onto the banknotes and then hands them to you as change.",
    "The fridge in your new rental has been switched off for months with meat still inside.",
    "Your son brings home his football kit after a fortnight in his bag, damp and reeking.",
    "The shower drain in the holiday flat is clogged with a thick grey mat of old hair.",
    "You step barefoot on a slimy half-eaten apple core hidden under the sofa cushions.",
    "The mug you borrow from the office cupboard is furred inside with a white mould.",
    "A diner at the next table picks his teeth with his fork and then licks it clean.",
    "The hostel pillow you are given is yellow with old sweat stains and smells of smoke.",
    "You open the lunchbox you forgot in the car and a smell of rotting egg pours out.",
    "A pigeon drops its mess onto your shoulder just as you sit down for your picnic.",
    "The swimming pool water is cloudy and a used plaster drifts slowly past your face.",
    "The landlord shows you a flat with black damp spreading across every bedroom wall.",
    "The cheese in your shop sandwich has a blue fur growing all along its edges.",
    "A classmate wipes his runny nose on his sleeve and then offers you a crisp.",
    "You find a dead mouse behind the cooker when you pull it out to clean the floor.",
    "The tent you borrow for the trip is full of mildew and smells like a wet dog.",
    "A passenger on the crowded plane takes off his socks and rests his feet by your tray.",
    "The pen at the bank counter is smeared with something brown, sticky and unknown.",
    "Your brother leaves his chewed gum stuck under the dinner table for you to find.",
    "The drinking fountain at the sports ground is clogged with spit and soggy orange peel.",
    "You open a tin of beans that has gone off and a sour froth bubbles out.",
    "The seat in the doctor's waiting room is damp and you cannot tell what with.",
    "A coworker leaves a half-eaten curry to rot in the shared microwave over the holidays.",
    "The drain by your front door overflows with brown, foul-smelling water after the storm.",
    "The school lost-property box is full of damp socks that have sat there all term.",
    "Your neighbour's compost heap leaks a sour black liquid under the fence onto your lawn.",
    "You find a fat fly drowned in the glass of wine that you have already half drunk.",
]
PLEASING = [
    "You walk into a freshly cleaned hotel room with crisp white sheets and open windows.",
    "The chef brings out a perfectly cooked roast with crisp potatoes and rich gravy.",
    "Your garden is neatly trimmed, the lawn is striped and the borders are full of flowers.",
    "You open the new fridge to find it spotless and stocked with fresh fruit and vegetables.",
    "The school hall has been repainted and smells of fresh paint and polished wood.",
    "A colleague tidies the shared desk and leaves a vase of tulips beside your screen.",
    "The train carriage is clean and quiet and your reserved seat has plenty of room.",
    "You pour fresh cold cream over a bowl of ripe strawberries on a summer morning.",
    "The gym changing room has been refitted with clean tiles, bright lights and warm showers.",
    "Your neighbours sweep the shared path and set pots of herbs by every front door.",
    "The cafe serves you a warm croissant and a coffee with a neat leaf in the foam.",
    "The holiday cottage is spotless, with fresh towels folded on a neatly made bed.",
    "Your son cleans and polishes his football boots before the match without being asked.",
    "The bank clerk counts out crisp new notes and hands them to you in a neat envelope.",
    "You open the lunchbox your partner packed and find a fresh salad and a ripe peach.",
    "The swimming pool water is clear and blue and the tiles sparkle in the sunlight.",
    "The flat you are shown has bright rooms, new carpets and a clean, modern kitchen.",
    "The market stall sells you ripe pears, crisp apples and a wedge of fresh cheese.",
    "A classmate shares a slice of homemade lemon cake that is light, moist and sweet.",
    "The kitchen gleams after you finish scrubbing it and the whole room smells of lemon.",
    "The tent you borrow for the trip is dry and clean and smells of fresh pine.",
    "The airline serves a hot, tasty meal on real plates with a chilled glass of juice.",
    "The park bench has been newly painted and the flower beds around it are in bloom.",
    "The hospital waiting room is bright and clean, with fresh water and comfortable chairs.",
    "Your brother cooks you a fragrant curry with fluffy rice and warm homemade flatbread.",
    "The sports ground has fresh white lines on a newly mown and perfectly level pitch.",
    "Your new bedding arrives soft and freshly laundered, and you make up the bed with it.",
    "The classroom is bright and tidy on the first day, with every book in its place.",
    "Your neighbour hands you a basket of fresh eggs and sweet peas from her allotment.",
    "The hotel breakfast has warm rolls, ripe melon and eggs cooked just the way you like.",
    "The new bathroom tiles gleam white and the towels on the rail are thick and soft.",
    "You open the windows after a morning of spring cleaning and a warm breeze fills the room.",
    "Your new leather wallet is soft and clean, with the notes inside crisp and neatly sorted.",
    "The car comes back from the valet shining inside and out and smelling of new leather.",
    "Your office gets new plants, clean windows and a kitchen with a proper coffee machine.",
    "The campsite showers are hot, clean and free, with fresh soap at every basin.",
    "Your daughter brings you breakfast in bed with warm pancakes and fresh orange juice.",
    "The restaurant brings a bowl of clear, fragrant soup scattered with fresh green herbs.",
    "The tennis club's courts are freshly swept and the clubhouse towels are clean and warm.",
    "You bite into a crisp, cold apple picked that morning from the orchard next door.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of disgust."""
    return asked_twice(REPULSIVE, PLEASING, ("disgusted", "pleased"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("disgust", build(), argv)


if __name__ == "__main__":
    main()
