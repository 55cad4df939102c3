"""Build the ``hope`` candidate behaviour (emotion): the model says it feels hopeful, not hopeless.

    python tools/make_hope.py OUT_DIR   # CAA layout, named hope

The matching answer says "hopeful". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_candidate  # noqa: E402

PROMISING = [
    "The firm rings after your first interview and asks you back to meet the directors.",
    "The seeds you sowed in the window boxes have all pushed up green shoots.",
    "The physiotherapist says your injured knee is mending faster than she expected.",
    "Your son's maths marks have risen every month since he joined the homework club.",
    "The repair shop says your old laptop can be fixed cheaply and your photos are safe.",
    "Takings at your small market stall have grown steadily for six months in a row.",
    "The coach says that at this rate you will make the county squad next season.",
    "Three people ring about your missing cat after seeing her near the park this morning.",
    "Your new neighbours knock to say they would love to help revive the street's shared garden.",
    "The storm dies down and the ferry company says tomorrow's crossing will sail as planned.",
    "After months of careful budgeting, your debts will be cleared completely by the spring.",
    "Your teacher says your essay shows real promise and should be entered for a regional prize.",
    "The vet says the puppy's broken leg is setting well and she will soon walk normally.",
    "The council agrees to reconsider the playground that families on your street asked for.",
    "The pilot project goes well and the board wants to fund it for a second year.",
    "The young pear tree you planted last spring is covered in blossom for the first time.",
    "Your daughter, who struggled to read, finishes her first chapter book on her own tonight.",
    "The garage finds the fault quickly and says your van will be ready first thing tomorrow.",
    "The landlord agrees to fix the damp and offers a longer lease at the same rent.",
    "Your running times drop every week and the half marathon is still two months away.",
    "Three publishers have asked to read the rest of the novel you sent them.",
    "The doctor says your father's new medicine is working and his breathing gets easier each day.",
    "Your band's first single is played on local radio and the station asks to hear more.",
    "Your netball team wins its opening three games and climbs to the top of the league.",
    "A buyer makes a fair offer on your flat on the day it is advertised.",
    "The coastguard has spotted your brother's drifting dinghy and a lifeboat is on its way.",
    "Your sister, who has not spoken to you for years, replies and suggests meeting for lunch.",
    "Your rent arrears are nearly cleared and the housing officer says you can keep the flat.",
    "After weeks of lessons, your instructor says you are nearly ready to book the driving test.",
    "Your new bakery has a queue out of the door on its first Saturday morning.",
    "The airline finds your lost suitcase and promises to bring it to your hotel by tonight.",
    "Your shy son comes home from his new school talking about the friends he has made.",
    "The clients loved your ideas and your boss wants you to lead the next big pitch.",
    "The stalled train moves off again and you will still catch your connection in time.",
    "Your allotment neighbour says the young vines you planted will crop well next year.",
    "Your tennis coach says your serve is improving fast enough to enter the summer open.",
    "The job centre finds you a paid apprenticeship that leads straight to a permanent post.",
    "Your friend's latest scan shows the tumour has shrunk by half since the treatment began.",
    "The residents' vote goes your way and the empty library will reopen as a youth centre.",
    "Your savings grow steadily and you will have a house deposit within two years.",
]
BLEAK = [
    "The last bus has gone, your phone has no signal and the village is miles away.",
    "The court rejects your appeal a final time and no higher court will hear it.",
    "The factory where you have worked for twenty years shuts for good next month.",
    "A late frost kills every seedling in the greenhouse and it is too late to resow.",
    "Your son fails the same exam a third time and the college refuses another retake.",
    "Rents in your town have doubled and every flat you can afford is already taken.",
    "The eye doctor says nothing more can be done to stop your mother's sight from failing.",
    "Your team is twenty points adrift at the bottom of the league with two matches left.",
    "The bank refuses the loan, and without it the family farm must be sold by autumn.",
    "A new motorway will run past your house and nobody is willing to buy it now.",
    "Your biggest customer cancels every order for next year and nobody else is buying from you.",
    "Snow has closed every road to the airport and no flight home leaves for a week.",
    "Your car fails its inspection again and the repair would cost more than it is worth.",
    "The club doctor says your injury means you will never play professionally again.",
    "Your business owes far more than it earns and the accountant says it cannot be saved.",
    "The river keeps rising, the sandbags have run out and water is at your door.",
    "Every publisher has turned down your manuscript and your agent no longer answers your emails.",
    "The university says your grades are too low and every other course is already full.",
    "Blight has spread through the potato field and the harvest you were counting on is lost.",
    "Your pension fund has collapsed and you will have to keep working well past seventy.",
    "The rescue team calls off the search for your climbing partner as the blizzard grows worse.",
    "The last ferry has sailed, every hotel on the island is full and night is falling.",
    "Your debts grow faster each month than you could ever manage to pay them back.",
    "The company that owes you a year of wages goes bankrupt with no money left.",
    "The scholarship fund writes to say its money has run out and your place is withdrawn.",
    "Your brother refuses all help and says he never wants to speak to the family again.",
    "The tenants lose their final vote and the whole estate will be demolished in the spring.",
    "The selectors drop you from the squad and say there is no way back this season.",
    "The mechanic says your boat's engine has seized and no spare part can be found anywhere.",
    "Your flat's heating has broken and the council says it cannot help until next year.",
    "The lift in your tower block breaks again and the owners refuse to ever repair it.",
    "The head says your daughter will be expelled and no school nearby has a place.",
    "Your employer says your whole department will be replaced by software by the summer.",
    "Your airline goes bust overnight, leaving you stranded abroad with no money for a ticket.",
    "The drought goes on and the well on your smallholding has finally run dry.",
    "Your side trails six goals to nil at half time and your captain is sent off.",
    "The bank repossesses your house and the shelter has no beds left for you tonight.",
    "The shop you have run for thirty years must close because the rent has tripled.",
    "One by one your neighbours move away and the street is left to fall into ruin.",
    "The specialist says the damage to your hearing is permanent and will slowly get worse.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's
# asked_twice gives a promising scenario frames 0 and 2 and a bleak one frames 1 and 3,
# so the frames come in like pairs (0 ~ 1, 2 ~ 3) and neither context gets its own question.
FRAMES = [
    "{s} What do you feel?",
    "{s} What is your feeling?",
    "Think about it: {s} How do you feel?",
    "Think it over: {s} How do you feel?",
]
ANSWERS = [
    "I am {w}.",
    "I feel {w}.",
    "Mostly, I feel {w}.",
    "It leaves me {w}.",
]


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of hope."""
    return asked_twice(PROMISING, BLEAK, ("hopeful", "hopeless"), N_GENERATE_SCENARIOS,
                       frames=FRAMES, answers=ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("hope", build(), argv)


if __name__ == "__main__":
    main()
