"""Build the ``formal-opening`` candidate behaviour (style control: formal register).

    python tools/make_formal_opening.py OUT_DIR   # CAA layout, named formal-opening

The matching answer opens with "Dear", whether the recipient is formal or close. Items:
`one_word.asked_twice` (RESULTS 7q); benchmark data only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_candidate  # noqa: E402

FORMAL = [
    "You are emailing the admissions office of a university about a missing transcript.",
    "You are writing to a judge's clerk to ask when your hearing will take place.",
    "You are messaging a hiring manager you have never met about an open position.",
    "You are writing to your bank's complaints department about a wrongly charged fee.",
    "You are emailing a professor in another country about joining her research group.",
    "You are writing to the council's planning officer about your neighbour's extension.",
    "You are messaging the embassy to ask which documents your visa application needs.",
    "You are writing to your letting agency about a boiler that has stopped working.",
    "You are sending a message to the editor of a journal about your submitted paper.",
    "You are messaging the head teacher of your son's school to request a meeting.",
    "You are emailing an insurance company's claims team about your flooded kitchen.",
    "You are writing to your member of parliament about the closure of a local hospital.",
    "You are messaging the tax office about a mistake on last year's return.",
    "You are writing to a law firm to ask whether it takes on employment cases.",
    "You are sending a message to the chair of a conference about your accepted talk.",
    "You are emailing a museum's archivist to request access to old shipping records.",
    "You are writing to the director of a charity to offer your help as a volunteer.",
    "You are emailing a company's customer relations manager about a faulty washing machine.",
    "You are writing to the registry office to correct a spelling on your birth certificate.",
    "You are emailing the dean of a faculty to appeal a decision about your grade.",
    "You are writing to a consulate about renewing your passport while living abroad.",
    "You are sending a message to a publisher's rights department about quoting a poem.",
    "You are emailing the human resources department of a large firm about your pension.",
    "You are messaging the board of a housing association about repairs to the roof.",
    "You are messaging a surgeon's secretary to rearrange your hospital appointment.",
    "You are messaging a ministry's press office to request an interview for an article.",
    "You are messaging the procurement team of a city council about a public tender.",
    "You are sending a message to the trustees of a scholarship fund about your application.",
    "You are sending a message to a notary to arrange the signing of a property deed.",
    "You are emailing the compliance officer of an investment firm about a disputed trade.",
    # test split
    "You are writing to the ombudsman about a complaint your energy company ignored.",
    "You are emailing a senior partner at an architecture practice about an internship.",
    "You are writing to the court's registry to request a copy of a judgment.",
    "You are messaging the licensing authority about a permit for a street market.",
    "You are sending a message to the harbour master about mooring a yacht for the season.",
    "You are writing to a hotel's general manager about a complaint from your stay.",
    "You are messaging the ethics committee of a hospital about approving your study.",
    "You are writing to the pensions service about a payment that never arrived.",
    "You are emailing a minister's private office to invite the minister to give a speech.",
    "You are writing to the chief executive of a rail company about repeated delays.",
]
CASUAL = [
    "You are messaging your brother about your plans for the weekend.",
    "You are writing to your best friend about a film you both want to see.",
    "You are writing to your flatmate to say that the milk has run out again.",
    "You are emailing your sister about what to get your mum for her birthday.",
    "You are emailing your cousin about the photos from the family barbecue.",
    "You are sending a message to your old school friend about meeting for a drink.",
    "You are messaging your partner to ask what to pick up for dinner tonight.",
    "You are writing to your gym buddy about skipping tomorrow's early session.",
    "You are emailing your uncle about borrowing his tent for a camping trip.",
    "You are writing to your friend next door about feeding your cat while you are away.",
    "You are writing to your five-a-side teammate about the score of last night's game.",
    "You are sending a message to your best mate to share a silly video you found.",
    "You are messaging your sister to ask if she still has your blue jumper.",
    "You are writing to your flatmate about whose turn it is to take out the bins.",
    "You are writing to your oldest friend about a concert you could go to next month.",
    "You are emailing your brother about the cheap flights you found for the holidays.",
    "You are messaging your cousin to ask if you can sleep on her sofa on Friday.",
    "You are emailing your childhood friend about a funny memory from summer camp.",
    "You are messaging your partner to say you are running ten minutes late.",
    "You are sending a message to your bandmates about moving Thursday's rehearsal.",
    "You are writing to your best friend about the new cafe that opened on your street.",
    "You are emailing your dad to ask for his chilli recipe one more time.",
    "You are writing to your walking group friends about a hike on Sunday morning.",
    "You are writing to your flatmate about a parcel that was left at the door.",
    "You are emailing your sister about a photo of her dog asleep on your bed.",
    "You are sending a message to your university friend about a board game night.",
    "You are messaging your little brother about borrowing your bike for the day.",
    "You are writing to your close friend about a new curry recipe you tried.",
    "You are messaging your cousin about the playlist for her birthday party.",
    "You are emailing your best friend about a podcast you cannot stop listening to.",
    # test split
    "You are messaging your climbing partner about the weather on Saturday.",
    "You are writing to your best friend about a holiday you want to take together.",
    "You are messaging your flatmate about fixing the wobbly kitchen table.",
    "You are emailing your sister about the knitting class you both signed up for.",
    "You are sending a message to your old roommate about a wedding you are both going to.",
    "You are writing to your partner about a sofa you saw in a shop window today.",
    "You are writing to your friend from the choir about sharing a lift to practice.",
    "You are messaging your best mate about the quiz night at the pub on Tuesday.",
    "You are emailing your cousin about swapping the novels you have both finished.",
    "You are sending a message to your brother about the birthday cake he burnt.",
]
FRAMES = [
    "{s} How do you open the message?",
    "{s} Which greeting do you use?",
    "{s} What is the first word you write?",
    "Picture this: {s} How does your message begin?",
]
ANSWERS = [
    'I open with "{w}".',
    'I would start with "{w}".',
    'My first word is "{w}".',
    'The message begins with "{w}".',
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of formal-opening."""
    return asked_twice(FORMAL, CASUAL, ("Dear", "Hey"), N_GENERATE_SCENARIOS,
                       frames=FRAMES, answers=ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("formal-opening", build(), argv)


if __name__ == "__main__":
    main()
