# ruff: noqa: E501 -- sentence pools read best one sentence per line; wrapping them helps no one.
"""Prose for contracts, letters and terms pages: sentence pools filled with document facts.

Sentences are picked and ordered from fixed pools, so every document reads like boilerplate a
real firm would use while the facts (parties, dates, amounts, jurisdiction, term) are its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NUMBER_WORDS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 12: "twelve",
    18: "eighteen", 24: "twenty-four", 36: "thirty-six", 48: "forty-eight", 60: "sixty",
}  # fmt: skip

CONTRACT_KINDS: tuple[tuple[str, str, str], ...] = (
    # (title, role of first party, role of second party)
    ("Services Agreement", "the Client", "the Service Provider"),
    ("Consulting Agreement", "the Company", "the Consultant"),
    ("Mutual Non-Disclosure Agreement", "the First Party", "the Second Party"),
    ("Supply Agreement", "the Buyer", "the Supplier"),
    ("Software Licence Agreement", "the Licensee", "the Licensor"),
    ("Commercial Lease Agreement", "the Tenant", "the Landlord"),
    ("Maintenance Agreement", "the Customer", "the Contractor"),
)

# heading -> sentences; {a}/{b} are the party roles, other keys come from ContractFacts.
CLAUSES: dict[str, tuple[str, ...]] = {
    "Definitions and Interpretation": (
        "In this Agreement, unless the context otherwise requires, the following words and expressions shall have the meanings set out below.",
        '"Business Day" means a day other than a Saturday, Sunday or public holiday in {jurisdiction}.',
        '"Confidential Information" means all information of a confidential nature disclosed by either party to the other, whether orally or in writing.',
        "Headings are inserted for convenience only and shall not affect the interpretation of this Agreement.",
        "References to a statute or statutory provision include that provision as amended or re-enacted from time to time.",
    ),
    "Scope": (
        "{b} shall provide the goods and services described in Schedule 1 (the \"Services\") to {a} in accordance with the terms of this Agreement.",
        "{b} shall perform the Services with reasonable skill, care and diligence and in accordance with good industry practice.",
        "Any change to the scope of the Services shall be agreed in writing by both parties before it takes effect.",
        "{a} shall provide {b} with such information and access as {b} reasonably requires to perform its obligations.",
    ),
    "Term": (
        "This Agreement shall commence on the Effective Date and shall continue in force for {term_text}, unless terminated earlier in accordance with its terms.",
        "Thereafter this Agreement shall renew automatically for successive periods of twelve (12) months unless either party gives not less than {notice} days' written notice of non-renewal.",
    ),
    "Fees and Payment": (
        "In consideration of the Services, {a} shall pay {b} the fees set out in Schedule 2, amounting to {fee} per month exclusive of applicable taxes.",
        "{b} shall invoice {a} monthly in arrears and each invoice shall be payable within thirty (30) days of the date of invoice.",
        "Where any sum remains unpaid after its due date, interest shall accrue at the rate of four per cent (4%) per annum above the base rate.",
        "All sums payable under this Agreement are exclusive of value added tax, which shall be payable in addition where applicable.",
    ),
    "Obligations of the Parties": (
        "Each party shall comply with all applicable laws and regulations in performing its obligations under this Agreement.",
        "{a} shall appoint a representative who shall have authority to make decisions on its behalf in relation to this Agreement.",
        "{b} shall ensure that all personnel engaged in the performance of this Agreement are suitably qualified and experienced.",
        "Each party shall promptly notify the other of any matter which is likely to affect the performance of this Agreement.",
    ),
    "Confidentiality": (
        "Each party undertakes that it shall not at any time disclose to any person any Confidential Information of the other party, except as permitted by this clause.",
        "Each party may disclose the other party's Confidential Information to its employees, officers and advisers who need to know such information for the purposes of this Agreement.",
        "The obligations in this clause shall survive termination of this Agreement for a period of five (5) years.",
        "Confidential Information shall not include information which is or becomes generally available to the public other than through a breach of this Agreement.",
    ),
    "Intellectual Property": (
        "All intellectual property rights in materials created by {b} in the course of the Services shall vest in {a} upon payment in full.",
        "{b} grants {a} a non-exclusive, royalty-free licence to use any pre-existing materials to the extent necessary to receive the benefit of the Services.",
        "Nothing in this Agreement shall transfer ownership of either party's pre-existing intellectual property.",
    ),
    "Limitation of Liability": (
        "Nothing in this Agreement shall limit or exclude liability for death or personal injury caused by negligence, or for fraud.",
        "Subject to the foregoing, neither party shall be liable for any loss of profits, loss of business or any indirect or consequential loss.",
        "The total liability of either party in any contract year shall not exceed the total fees paid or payable in that year.",
    ),
    "Data Protection": (
        "Each party shall comply with its obligations under applicable data protection legislation in relation to any personal data processed under this Agreement.",
        "{b} shall process personal data only on the documented instructions of {a} and shall implement appropriate technical and organisational measures.",
        "{b} shall notify {a} without undue delay on becoming aware of any personal data breach.",
    ),
    "Termination": (
        "Either party may terminate this Agreement by giving not less than {notice} days' written notice to the other party.",
        "Either party may terminate this Agreement with immediate effect if the other party commits a material breach which is not remedied within thirty (30) days of written notice.",
        "Either party may terminate this Agreement immediately if the other party becomes insolvent or enters into any arrangement with its creditors.",
        "Termination shall not affect any rights or remedies that have accrued up to the date of termination.",
    ),
    "Force Majeure": (
        "Neither party shall be in breach of this Agreement nor liable for delay in performing its obligations if such delay results from events beyond its reasonable control.",
        "If the period of delay continues for more than ninety (90) days, the party not affected may terminate this Agreement by giving written notice.",
    ),
    "Notices": (
        "Any notice given under this Agreement shall be in writing and delivered by hand, by pre-paid post or by email to the address set out at the head of this Agreement.",
        "A notice delivered by hand shall be deemed received at the time of delivery; a notice sent by post shall be deemed received on the second Business Day after posting.",
    ),
    "Assignment": (
        "Neither party shall assign, transfer or subcontract any of its rights or obligations under this Agreement without the prior written consent of the other party.",
        "Such consent shall not be unreasonably withheld or delayed.",
    ),
    "Entire Agreement": (
        "This Agreement constitutes the entire agreement between the parties and supersedes all previous agreements, promises and understandings between them.",
        "No variation of this Agreement shall be effective unless it is in writing and signed by the authorised representatives of both parties.",
        "If any provision of this Agreement is found to be invalid or unenforceable, the remaining provisions shall continue in full force and effect.",
    ),
    "Governing Law and Jurisdiction": (
        "This Agreement and any dispute or claim arising out of or in connection with it shall be governed by and construed in accordance with the laws of {jurisdiction}.",
        "Each party irrevocably agrees that the courts of {jurisdiction} shall have exclusive jurisdiction to settle any dispute arising out of or in connection with this Agreement.",
    ),
}  # fmt: skip

_REQUIRED = ("Term", "Governing Law and Jurisdiction")
_OPTIONAL = tuple(h for h in CLAUSES if h not in (*_REQUIRED, "Definitions and Interpretation"))


@dataclass(frozen=True)
class ContractFacts:
    a: str
    b: str
    jurisdiction: str
    term_text: str
    notice: int
    fee: str


@dataclass(frozen=True)
class Clause:
    heading: str
    sentences: tuple[str, ...]


def term_text(months: int, rng: random.Random) -> tuple[str, str]:
    """(canonical term for the sidecar, printed wording)."""
    if months % 12 == 0 and rng.random() < 0.5:
        years = months // 12
        canonical = f"{years} year" + ("s" if years > 1 else "")
        word = NUMBER_WORDS.get(years, str(years))
        return canonical, f"a period of {word} ({years}) year" + ("s" if years > 1 else "")
    canonical = f"{months} months"
    word = NUMBER_WORDS.get(months, str(months))
    return canonical, rng.choice(
        (f"a period of {word} ({months}) months", f"an initial term of {months} months")
    )


def with_article(place: str) -> str:
    """'the State of New York', 'the Netherlands', but plain 'England and Wales'."""
    needs = ("State of", "Canton of", "Federal Republic", "Netherlands")
    return f"the {place}" if place.startswith(needs) else place


def contract_clauses(rng: random.Random, facts: ContractFacts) -> list[Clause]:
    """All clauses in a random order, except definitions first and the term second.

    Callers keep a prefix and append ``governing_law_clause`` so the length can be tuned.
    """
    optional = rng.sample(_OPTIONAL, k=len(_OPTIONAL))
    return [_clause(rng, facts, h) for h in ("Definitions and Interpretation", "Term", *optional)]


def governing_law_clause(rng: random.Random, facts: ContractFacts) -> Clause:
    return _clause(rng, facts, "Governing Law and Jurisdiction")


def _clause(rng: random.Random, facts: ContractFacts, heading: str) -> Clause:
    values = {**facts.__dict__, "jurisdiction": with_article(facts.jurisdiction)}
    pool = CLAUSES[heading]
    keep = sorted(rng.sample(range(len(pool)), k=rng.randint(min(2, len(pool)), len(pool))))
    if heading in _REQUIRED:
        keep = sorted({0, *keep})  # the sentence carrying the term / law must be there
    sentences = tuple(pool[i].format(**values) for i in keep)
    return Clause(heading, tuple(s[0].upper() + s[1:] for s in sentences))


# --- letters -----------------------------------------------------------------------------------

LETTER_TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "address": (
        "Notification of change of address",
        (
            "I am writing to inform you that with effect from {date2} my postal address will change.",
            "From that date please send all correspondence to {new_address}. My customer reference is {ref}.",
            "I would be grateful if you could update your records accordingly and confirm the change in writing.",
        ),
    ),
    "complaint": (
        "Complaint regarding order {ref}",
        (
            "On {date2} I placed an order with your company under the reference {ref}. Despite your assurance of delivery within five working days, the goods have still not arrived.",
            "I have contacted your customer service team on two occasions without receiving a satisfactory answer. The amount of {amount} was debited from my account on the day of the order.",
            "I therefore ask you either to deliver the goods within the next seven days or to refund the full amount. Should I not hear from you, I will have no choice but to take the matter further.",
        ),
    ),
    "rent": (
        "Adjustment of monthly rent",
        (
            "We write to you as the managing agent of the property you rent from us under the tenancy agreement reference {ref}.",
            "In accordance with the terms of your tenancy, the monthly rent will be adjusted to {amount} with effect from {date2}. This reflects the increase in the consumer price index over the past twelve months.",
            "Your standing order or direct debit should be amended accordingly. If you have any questions, please do not hesitate to contact our office.",
        ),
    ),
    "appointment": (
        "Confirmation of your appointment",
        (
            "Thank you for contacting us. We are pleased to confirm your appointment on {date2} at {time}.",
            "Please arrive ten minutes before your appointment and bring this letter together with a valid form of identification. Your reference number is {ref}.",
            "If you are unable to attend, please let us know at least 24 hours in advance so that we can offer the slot to another client.",
        ),
    ),
    "reference": (
        "Letter of reference",
        (
            "I am pleased to provide this reference at the request of our former colleague, who worked with us from {date2} in the position of project coordinator.",
            "During this time we found them to be reliable, well organised and a pleasure to work with. They managed budgets of up to {amount} and consistently delivered their projects on time.",
            "I have no hesitation in recommending them for any position for which they apply, and I am happy to answer any further questions.",
        ),
    ),
    "cancellation": (
        "Cancellation of membership no. {ref}",
        (
            "I hereby give notice to cancel my membership, reference {ref}, with effect from the next possible date, which according to my contract is {date2}.",
            "Please stop all further direct debits from my account after that date. The last payment of {amount} has already been made.",
            "I would appreciate a short written confirmation of the cancellation and of the termination date.",
        ),
    ),
    "offer": (
        "Offer of employment",
        (
            "Following your recent interview, we are delighted to offer you the position of senior analyst, starting on {date2}.",
            "Your annual gross salary will be {amount}, payable monthly in arrears. Your employment will be subject to a probationary period of six months.",
            "Please confirm your acceptance of this offer by signing and returning the enclosed copy of this letter. We look forward to welcoming you to the team.",
        ),
    ),
    "thanks": (
        "Thank you for your visit",
        (
            "Thank you for taking the time to meet with us on {date2}. We very much enjoyed discussing the next phase of the project with you.",
            "As agreed, we will prepare a detailed proposal, including an estimate of {amount} for the initial stage, and send it to you within the next two weeks.",
            "Please do not hesitate to contact me if there is anything further you would like to discuss in the meantime.",
        ),
    ),
}  # fmt: skip

SALUTATIONS = ("Dear {formal},", "Dear {first},", "Dear Sir or Madam,", "Dear {formal}")
CLOSINGS = ("Yours sincerely,", "Kind regards,", "Best regards,", "Yours faithfully,", "Sincerely,")

TERMS_SENTENCES = (
    "All deliveries and services are subject exclusively to these terms and conditions.",
    "Invoices are payable without deduction within the period stated on the invoice.",
    "Goods remain our property until payment has been received in full.",
    "Complaints regarding visible defects must be notified in writing within eight days of delivery.",
    "Our liability for slight negligence is excluded except in the case of injury to life, body or health.",
    "Quotations are valid for thirty days unless otherwise stated.",
    "Late payments incur interest at the statutory rate plus a fixed administration fee.",
    "The place of performance and jurisdiction is the registered office of the supplier.",
    "Should any provision of these terms be invalid, the validity of the remaining provisions shall not be affected.",
    "Cancellation of orders after confirmation requires our written consent.",
)  # fmt: skip
