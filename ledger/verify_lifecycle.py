"""The lifecycle replayed from the log alone, as an independent verifier checks it.

For every procurement, challenge and complaint leaf it checks, from earlier leaves only:

* the event is the one its signed command records, on the stream the command names;
* the signer's role and organisation may issue it (``roles``: the purchaser on its own
  procurement, the agency where appointed, suppliers only where they bid…);
* it may follow the procurement's state (``lifecycle.decide``), and the state, the notice and
  the irregularities the leaf records are exactly what the table gives: a finding of order
  cannot be dropped, a notice cannot be left out;
* what the leaf's data repeats from the signed payload is what was signed;
* every disclosure opens the commitment recorded earlier: bid prices at the opening, the
  evaluation committee with the result;
* challenge and complaint numbers run 1, 2, 3… per procurement;
* a sealed value is read only by a reader entitled to it (``verify_reads``).

Findings of time limits depend on the operator's calendar and time-limit table; given them
(``TimingCheck``, `sunshine verify --check-timing`), they are recomputed and compared too.
Memory grows with the number of procurements, not with the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from ledger.domain.deliveries import delivery_stream
from ledger.domain.errors import Invalid, LedgerError
from ledger.domain.lifecycle import RULES, Action, State, decide
from ledger.domain.money import Money
from ledger.domain.procurement import BID_SUBMITTED, state_from_json, state_json
from ledger.domain.procurement_commands import command_type
from ledger.domain.registry import Role, stream_id
from ledger.domain.registry_commands import Signer
from ledger.domain.roles import (
    Participants,
    authorise,
    may_challenge,
    may_decide_complaint,
)
from ledger.domain.sealed import check_disclosure
from ledger.domain.vocabulary import Method
from ledger.verify_reads import ReadViolation, SealedReadReplay
from ledger.verify_timing import TimingCheck, TimingMismatch

ACTION_OF_COMMAND: Final = {command_type(action): action for action in Action}
STREAM_COMMANDS: Final = {
    "FileChallenge": "ChallengeFiled",
    "AnswerChallenge": "ChallengeAnswered",
    "WithdrawChallenge": "ChallengeWithdrawn",
    "FileComplaint": "ComplaintFiled",
    "DecideComplaint": "ComplaintDecided",
    "WithdrawComplaint": "ComplaintWithdrawn",
}
DELIVERY_COMMANDS: Final = {
    "RecordDelivery": "NoticeDelivered",
    "RecordDeliveryFailure": "NoticeDeliveryFailed",
}
#: Every event type the lifecycle commands produce, by command type.
PRODUCES: Final = {
    **{kind: RULES[action].event for kind, action in ACTION_OF_COMMAND.items()},
    "SubmitBid": BID_SUBMITTED,
    **STREAM_COMMANDS,
    **DELIVERY_COMMANDS,
}
LIFECYCLE_EVENTS: Final = frozenset(PRODUCES.values())
MONEY_FIELDS: Final = frozenset({"budget", "amount"})


class LifecycleViolation(ValueError):
    pass


@dataclass
class Replayed:
    """What the verifier keeps of one procurement."""

    purchaser: str
    agency: str | None
    method: Method
    state: State
    bids: dict[str, str] = field(default_factory=dict)  # supplier → price commitment
    proposed: frozenset[str] = frozenset()  # a single source's supplier
    committee: str | None = None
    challenges: dict[str, str] = field(default_factory=dict)  # number → supplier
    complaints: dict[str, str] = field(default_factory=dict)  # number → supplier
    closed: set[str] = field(default_factory=set)  # answered, decided or withdrawn
    dates: dict[Action, date] = field(default_factory=dict)  # the latest of each action
    filed_on: dict[str, date] = field(default_factory=dict)  # challenge or complaint → filed
    answered_on: dict[str, date] = field(default_factory=dict)  # challenge → its answer

    def participants(self) -> Participants:
        return Participants(self.purchaser, self.agency, frozenset(self.bids) | self.proposed)


class LifecycleReplay:
    def __init__(self, timing: TimingCheck | None = None) -> None:
        self.procurements: dict[str, Replayed] = {}
        self.notices: dict[int, str] = {}  # leaf index of each notice → its procurement
        self.notice_dates: dict[int, date] = {}
        self.delivered: set[tuple[int, str]] = set()  # (notice, destination)
        self.timing = timing
        self.reads = SealedReadReplay()  # sealed values, and the reads of them

    def check(self, entry: dict[str, Any], role: str, organisation: str) -> None:
        """Check one leaf against the lifecycle so far and apply it."""
        try:
            if self.reads.check(entry, role, organisation):
                return  # a sealed read: no lifecycle event
        except ReadViolation as problem:
            raise LifecycleViolation(str(problem)) from None
        command, kind = entry["command"], entry["type"]
        produces = PRODUCES.get(command["type"])
        if produces is None:
            if kind in LIFECYCLE_EVENTS:
                raise LifecycleViolation(f"a {command['type']} command cannot record {kind}")
            return
        if kind != produces:
            raise LifecycleViolation(f"a {command['type']} command cannot record {kind}")
        signer = Signer(entry["actor"], Role(role), organisation, entry["key"])
        try:
            self._check(entry, signer)
        except LifecycleViolation:
            raise
        except TimingMismatch as mismatch:
            raise LifecycleViolation(str(mismatch)) from None
        except LedgerError as refusal:  # the domain's own refusal, as the ledger would give
            raise LifecycleViolation(
                f"{kind} should have been refused: {refusal.message}"
            ) from None
        except (KeyError, TypeError, ValueError) as problem:
            raise LifecycleViolation(f"{kind} data is malformed ({problem!r})") from None

    def _check(self, entry: dict[str, Any], signer: Signer) -> None:
        command, data, kind = entry["command"], entry["data"], entry["type"]
        code = command["procurement"]
        if data["procurement"] != code:
            raise LifecycleViolation(f"{kind} names procurement {data['procurement']}, not {code}")
        _repeats_payload(kind, command["payload"], data)
        if kind in DELIVERY_COMMANDS.values():
            self._delivery(entry, signer)
            return
        if kind in STREAM_COMMANDS.values():
            self._stream(entry, signer, self._procurement(code))
            return
        if entry["stream"] != str(stream_id("procurement", code)):
            raise LifecycleViolation(f"{kind} is not on the stream of procurement {code}")
        if kind == "PlanFiled":
            self._plan(code, data, signer)
            return
        procurement = self._procurement(code)
        if kind == BID_SUBMITTED:
            self._bid(procurement, data, signer)
            return
        action = ACTION_OF_COMMAND[command["type"]]
        authorise(signer, action, procurement.participants())
        transition = decide(procurement.state, action, procurement.method)
        if data["state"] != state_json(transition.state):
            raise LifecycleViolation(f"{kind} records a state the lifecycle does not give")
        notice = transition.announcement.value if transition.announcement else None
        if data["announcement"] != notice:
            raise LifecycleViolation(f"{kind} publishes {data['announcement']}, not {notice}")
        recorded = {finding["rule"] for finding in data["findings"]}
        for irregularity in transition.irregularities:
            if irregularity.rule not in recorded:
                raise LifecycleViolation(f"{kind} leaves out the finding {irregularity.rule}")
        self._disclosures(procurement, action, data)
        on = date.fromisoformat(data["date"])
        if self.timing is not None:
            self.timing.procurement(
                kind, action, on, procurement.dates, procurement.method, data["findings"]
            )
        procurement.dates[action] = on
        procurement.state = state_from_json(data["state"])
        if notice is not None:
            self.notices[entry["index"]] = code
            self.notice_dates[entry["index"]] = on
        if action is Action.ANNOUNCE_TENDER and data.get("supplier"):
            procurement.proposed = frozenset({data["supplier"]})
        if action is Action.COMPLETE_EVALUATION:
            procurement.committee = data["committee"]["commitment"]

    def _delivery(self, entry: dict[str, Any], signer: Signer) -> None:
        data, kind = entry["data"], entry["type"]
        if signer.role is not Role.PUBLISHER:
            raise LifecycleViolation(f"{kind} recorded by {signer.actor}, not the publisher")
        notice, destination = data["notice"], data["destination"]
        if self.notices.get(notice) != data["procurement"]:
            raise LifecycleViolation(f"{kind} for entry {notice}, which is no earlier notice")
        if entry["stream"] != str(delivery_stream(notice, destination)):
            raise LifecycleViolation(f"{kind} is not on the stream of its notice and website")
        if (notice, destination) in self.delivered:
            raise LifecycleViolation(f"notice {notice} was already delivered to {destination}")
        if self.timing is not None:
            self.timing.delivery(
                kind, self.notice_dates[notice], date.fromisoformat(data["date"]),
                bool(data["required"]), kind == "NoticeDelivered", data["findings"],
            )  # fmt: skip
        if kind == "NoticeDelivered":
            self.delivered.add((notice, destination))

    def _procurement(self, code: str) -> Replayed:
        procurement = self.procurements.get(code)
        if procurement is None:
            raise LifecycleViolation(f"procurement {code} has no plan filed before this entry")
        return procurement

    def _plan(self, code: str, data: dict[str, Any], signer: Signer) -> None:
        if code in self.procurements:
            raise LifecycleViolation(f"procurement {code} filed twice")
        if signer.role is not Role.PURCHASER or data["purchaser"] != signer.organisation:
            raise LifecycleViolation(f"plan of {data['purchaser']} filed by {signer.actor}")
        self.procurements[code] = Replayed(
            data["purchaser"], data["agency"], Method(data["method"]), State(plan="filed")
        )
        self.procurements[code].dates[Action.FILE_PLAN] = date.fromisoformat(data["date"])
        if data["state"] != state_json(State(plan="filed")):
            raise LifecycleViolation("PlanFiled records a state the lifecycle does not give")

    def _bid(self, procurement: Replayed, data: dict[str, Any], signer: Signer) -> None:
        if signer.role is not Role.SUPPLIER or data["supplier"] != signer.organisation:
            raise LifecycleViolation(f"a bid for {data['supplier']} signed by {signer.actor}")
        if data["supplier"] in procurement.bids:
            raise LifecycleViolation(f"{data['supplier']} bid twice")
        procurement.bids[data["supplier"]] = data["price"]["commitment"]

    def _disclosures(self, procurement: Replayed, action: Action, data: dict[str, Any]) -> None:
        if action is Action.OPEN_BIDS:
            opened = [bid["supplier"] for bid in data["bids"]]
            if opened != list(procurement.bids):
                raise LifecycleViolation("the bids opened are not the bids submitted")
            for bid in data["bids"]:
                self._opens(procurement.bids[bid["supplier"]], bid["price"], "a bid price")
        if action is Action.ANNOUNCE_RESULT and procurement.committee is not None:
            self._opens(procurement.committee, data["committee"], "the committee")

    @staticmethod
    def _opens(commitment: str, disclosure: dict[str, Any], what: str) -> None:
        if disclosure.get("commitment") != commitment:
            raise LifecycleViolation(f"the disclosure of {what} names another commitment")
        try:
            check_disclosure(commitment, disclosure["value"], disclosure["salt"])
        except Invalid:
            raise LifecycleViolation(
                f"the disclosure of {what} does not open its commitment"
            ) from None

    def _closing(self, entry: dict[str, Any], stream: str, procurement: Replayed) -> None:
        """An answer, decision or withdrawal: of the stream its payload names, once."""
        number = entry["data"]["number"]
        if entry["command"]["payload"].get(stream) != number:
            raise LifecycleViolation(f"{entry['type']} is recorded on another {stream}")
        filed = procurement.challenges if stream == "challenge" else procurement.complaints
        if number not in filed:
            raise LifecycleViolation(f"{stream} {number} was not filed before")
        if number in procurement.closed:
            raise LifecycleViolation(f"{stream} {number} was already closed")
        procurement.closed.add(number)

    def _stream(self, entry: dict[str, Any], signer: Signer, procurement: Replayed) -> None:
        kind, data, code = entry["type"], entry["data"], entry["command"]["procurement"]
        number = data["number"]
        stream = "challenge" if kind.startswith("Challenge") else "complaint"
        if entry["stream"] != str(stream_id(stream, number)):
            raise LifecycleViolation(f"{kind} is not on the stream of {stream} {number}")
        if kind == "ChallengeFiled":
            may_challenge(signer, procurement.participants())
            expected = f"{code}-ZY{len(procurement.challenges) + 1}"
            if number != expected:
                raise LifecycleViolation(f"challenge numbered {number}, expected {expected}")
            procurement.challenges[number] = signer.organisation
        elif kind == "ComplaintFiled":
            if procurement.challenges.get(data["challenge"]) != signer.organisation:
                raise LifecycleViolation(f"complaint on {data['challenge']} by {signer.actor}")
            expected = f"{code}-TS{len(procurement.complaints) + 1}"
            if number != expected:
                raise LifecycleViolation(f"complaint numbered {number}, expected {expected}")
            procurement.complaints[number] = signer.organisation
        else:
            self._closing(entry, stream, procurement)
        on = date.fromisoformat(data["date"])
        if kind in ("ChallengeFiled", "ComplaintFiled"):
            procurement.filed_on[number] = on
        if kind == "ChallengeAnswered":
            procurement.answered_on[number] = on
        self._roles(kind, number, stream, signer, procurement)
        if self.timing is not None:
            self._timing(kind, data, on, procurement)

    def _timing(self, kind: str, data: dict[str, Any], on: date, procurement: Replayed) -> None:
        """A challenge or complaint leaf's time-limit findings, as ``TimingCheck`` gives them."""
        assert self.timing is not None
        number, findings = data["number"], data.get("findings", [])
        if kind in ("ChallengeAnswered", "ComplaintDecided"):
            start = "ChallengeFiled" if kind == "ChallengeAnswered" else "ComplaintFiled"
            self.timing.stream(kind, on, {start: procurement.filed_on[number]}, findings)
        elif kind == "ChallengeFiled":
            known = date.fromisoformat(data["known_on"])
            self.timing.limit(kind, "challenge_filed_after_known", known, on, findings)
        elif kind == "ComplaintFiled":
            challenge = data["challenge"]
            answered = procurement.answered_on.get(challenge)
            self.timing.complaint(kind, answered, procurement.filed_on[challenge], on, findings)

    def _roles(self, kind: str, number: str, stream: str, signer: Signer,
               procurement: Replayed) -> None:  # fmt: skip
        """Who may answer, decide or withdraw."""
        if kind == "ComplaintDecided":
            may_decide_complaint(signer)
        elif kind == "ChallengeAnswered":
            answers = (Role.PURCHASER, procurement.purchaser), (Role.AGENCY, procurement.agency)
            if (signer.role, signer.organisation) not in answers:
                raise LifecycleViolation(f"challenge {number} answered by {signer.actor}")
        elif kind.endswith("Withdrawn"):  # by the supplier that filed it
            filed = procurement.challenges if stream == "challenge" else procurement.complaints
            if filed.get(number) != signer.organisation:
                raise LifecycleViolation(f"{stream} {number} withdrawn by {signer.actor}")


def _repeats_payload(kind: str, payload: dict[str, Any], data: dict[str, Any]) -> None:
    """Every payload field the data repeats at its top level is what was signed."""
    for name, signed in payload.items():
        if name not in data or isinstance(signed, list):
            continue
        recorded = data[name]
        if name in MONEY_FIELDS and isinstance(signed, str) and isinstance(recorded, str):
            same = Money.parse(signed, name) == Money.parse(recorded, name)
        else:
            same = signed == recorded
        if not same:
            raise LifecycleViolation(f"{kind} data.{name} differs from the signed payload")
