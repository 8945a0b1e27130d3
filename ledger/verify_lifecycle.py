"""The lifecycle replayed from the log alone, as an independent verifier checks it.

For every procurement, challenge, complaint and delivery leaf it checks, from earlier leaves
only:

* the leaf's data is what its kind records (``schema``: no field missing, none unknown);
* the entry is the one its signed command records, on the stream the command names;
* the signer's role and organisation may issue it (``roles``: the purchaser on its own
  procurement, the agency where appointed, suppliers only where they bid…);
* it may follow the procurement's state (``lifecycle.decide``), and the state, the notice and
  the irregularities the leaf records are exactly what the table gives: a finding of order
  cannot be dropped, a notice cannot be left out;
* what the leaf's data repeats from the signed payload is what was signed;
* every disclosure opens the commitment recorded earlier: bid prices at the opening, the
  evaluation committee with the result;
* the sealed bid box: each ``BidCommitted`` is the bid-box service's; a closing sums up its
  set; the opening discloses exactly that set (the root over it is the closing's), every
  member opens its commitment, every envelope is a ``SubmitBid`` (or an ``ObtainDocuments``,
  disclosed as ``obtained``) on this procurement signed
  by a supplier's key valid when the box took it in, committed before the closing, and the
  bids opened are the effective ones; a commitment that no opening ever disclosed, though
  every box open when it came in has been opened, is a dropped bid (``dropped_bids``);
* challenge and complaint numbers run 1, 2, 3… per procurement; a challenge and its
  withdrawal are the box service's entries (the challenger is sealed), and a complaint
  discloses its challenge's envelope: a ``FileChallenge`` on this procurement, of the day
  recorded, signed with a key of the complainant's valid when the box took it in;
* a sealed value is read only by a reader entitled to it (``verify_reads``).

Each procurement is the ``ProcurementRecord`` the ledger decides on, folded from the same
entries with the same ``record.fold``. Findings of time limits depend on the operator's
calendar and time-limit table; given them (``TimingCheck``, `sunshine verify
--check-timing`), they are recomputed and compared too. Memory grows with the number of
procurements still open, and a compressed copy of each closed one (``verify_records``).
"""

from __future__ import annotations

import base64
import bisect
import sys
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, assert_never

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.calendar_files import load_time_limits
from ledger.domain.amounts import (
    AMOUNT_RULES,
    award_irregularities,
    bid_deposit_irregularities,
    contract_irregularities,
    performance_deposit_irregularities,
    supplementary_irregularities,
)
from ledger.domain.bid_box import (
    OBTAIN_DOCUMENTS,
    SUBMIT_BID,
    BoxEntry,
    box_root,
    bucket_size,
    envelope_command,
    statuses,
)
from ledger.domain.bid_commands import signed_late
from ledger.domain.challenges import FILE_CHALLENGE
from ledger.domain.committee import (
    check_signatures,
    committee_irregularities,
    parse_members,
    ranking_irregularities,
    report_message,
)
from ledger.domain.context import CHINA
from ledger.domain.deliveries import delivery_stream
from ledger.domain.deposits import bidders
from ledger.domain.errors import Conflict, Forbidden, Invalid, LedgerError
from ledger.domain.framework import CALL_OFFS_OVER_AGREEMENT as _OVER_AGREEMENT
from ledger.domain.framework import (
    ELIMINATION,
    admission_irregularities,
    call_off_refusal,
    total_irregularities,
)
from ledger.domain.imports import check_release, import_stream, release_digest
from ledger.domain.known_dates import is_declared
from ledger.domain.lifecycle import Action, Irregularity, Stage, State, Transition, decide
from ledger.domain.methods import Jurisdiction, may_approve_method
from ledger.domain.money import Money
from ledger.domain.opening import moment, opening_irregularities
from ledger.domain.prequalification import result_refusal
from ledger.domain.procurement_commands import BIDDING, complaint_handler
from ledger.domain.record import Objection, ProcurementRecord, fold
from ledger.domain.registry import Role, Signer, stream_id
from ledger.domain.roles import Participants, authorise, may_decide_complaint
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import StreamData
from ledger.domain.schema.entry import MalformedEntry, parse_data
from ledger.domain.schema.kinds import BY_COMMAND, REGISTRY_KINDS, STATUTE_KINDS, kind_of
from ledger.domain.schema.values import Opened
from ledger.domain.sealed import check_disclosure, commitments_in
from ledger.domain.vocabulary import Method, Subject
from ledger.domain.works import is_works_tender
from ledger.verify_reads import ReadViolation, SealedReadReplay
from ledger.verify_records import Procurements
from ledger.verify_registry import RegistryReplay
from ledger.verify_statutes import StatuteReplay, StatuteViolation
from ledger.verify_timing import TimingCheck, TimingMismatch
from ledger.verify_works import works_award, works_steps

MONEY_FIELDS: Final = frozenset({"budget", "amount", "bid_deposit", "performance_deposit"})


#: The supplier's commands a member of a closed box may be.
BOX_ENVELOPES: Final = frozenset({SUBMIT_BID, OBTAIN_DOCUMENTS})


class LifecycleViolation(ValueError):
    pass


@dataclass
class BoxOutcome:
    """What the log shows of the bid box, for checking a supplier's receipt against it."""

    committed: dict[str, int] = field(default_factory=dict)  # commitment → its leaf
    opened_in: dict[str, str] = field(default_factory=dict)  # commitment → its procurement
    opened: set[str] = field(default_factory=set)  # procurements whose box was opened


def _participants(p: ProcurementRecord) -> Participants:
    return Participants(p.purchaser, p.agency, p.bidders)


class LifecycleReplay:
    def __init__(
        self, timing: TimingCheck | None = None, registry: RegistryReplay | None = None
    ) -> None:
        self.procurements = Procurements()  # closed ones packed
        self.notices: dict[int, str] = {}  # leaf index of each notice → its procurement
        self.notice_dates: dict[int, date] = {}
        self.delivered: set[tuple[int, str]] = set()  # (notice, destination)
        self.timing = timing
        # The statute book: what every timed finding is measured with, and re-evaluated by.
        self.statutes = StatuteReplay(load_time_limits())
        if timing is not None and timing.book is None:
            timing.book = self.statutes
        self.reads = SealedReadReplay(self._answering)  # sealed values, and reads of them
        self.registry = registry if registry is not None else RegistryReplay()
        # The bid box: each sealed envelope's leaf, and the boxes open when it came in.
        self.committed: dict[str, int] = {}  # a sealed envelope not opened yet → its leaf
        #: When the notice setting each procurement's bid deadline was signed (RFC 3339).
        self.deadline_signed: dict[str, str] = {}
        self.box = BoxOutcome()  # every commitment's leaf, and the opening that disclosed it
        self.open_boxes: set[str] = set()
        # Each box's window: the leaves from its opening for bids to its end (None: still open).
        self.windows: dict[str, tuple[int, int | None]] = {}
        self._at = 0  # the leaf being checked
        # Each evaluation's leaf and the report its experts signed, checked at disclosure.
        self.reports: dict[str, tuple[int, bytes]] = {}
        self.closings: dict[str, int] = {}  # procurement → its closing's leaf
        self.opened_bids = 0
        # Each challenge's filing: its leaf, its data, and whether its box was sealed then.
        self.challenges: dict[str, tuple[int, E.ChallengeFiled, bool]] = {}
        self.box_suppliers: dict[str, set[str]] = {}  # an opened box → who had envelopes in it
        # Complainants whose challenge came before the opening: the opening proves standing.
        self.standing: dict[str, set[tuple[str, str]]] = {}
        self.imported: set[tuple[str, str]] = set()  # (ocid, id) of each imported release

    def check(self, entry: dict[str, Any], role: str, organisation: str) -> None:
        """Check one leaf against the lifecycle so far and apply it."""
        try:
            if self.reads.check(entry, role, organisation):
                return  # a sealed read: no lifecycle entry
        except ReadViolation as problem:
            raise LifecycleViolation(str(problem)) from None
        command, name = entry["command"], entry["type"]
        self._at = entry["index"]
        try:
            if name in STATUTE_KINDS:
                self.statutes.check(entry, role)
                return
            self.statutes.record(entry["index"], entry)
        except StatuteViolation as problem:
            raise LifecycleViolation(str(problem)) from None
        except (KeyError, TypeError, ValueError) as problem:
            raise LifecycleViolation(f"{name} data is malformed ({problem!r})") from None
        produces = BY_COMMAND.get(command["type"])
        if produces is None or produces.name in REGISTRY_KINDS:
            if name not in REGISTRY_KINDS:
                raise LifecycleViolation(f"a {command['type']} command cannot record {name}")
            return  # the registry's replay checks it
        if name != produces.name:
            raise LifecycleViolation(f"a {command['type']} command cannot record {name}")
        signer = Signer(entry["actor"], Role(role), organisation, entry["key"])
        try:
            data = parse_data(name, entry["data"])
            self._check(entry, data, signer)
        except LifecycleViolation:
            raise
        except MalformedEntry as problem:
            raise LifecycleViolation(str(problem)) from None
        except TimingMismatch as mismatch:
            raise LifecycleViolation(str(mismatch)) from None
        except LedgerError as refusal:  # the domain's own refusal, as the ledger would give
            raise LifecycleViolation(
                f"{name} should have been refused: {refusal.message}"
            ) from None
        except (KeyError, TypeError, ValueError) as problem:
            raise LifecycleViolation(f"{name} data is malformed ({problem!r})") from None

    def _check(self, entry: dict[str, Any], data: E.EntryData, signer: Signer) -> None:
        command, name = entry["command"], entry["type"]
        code = command["procurement"]
        if getattr(data, "procurement", None) != code:
            raise LifecycleViolation(f"{name} names procurement {entry['data']['procurement']}, "
                                     f"not {code}")  # fmt: skip
        _repeats_payload(name, command["payload"], entry["data"])
        match data:
            case E.NoticeDelivered() | E.NoticeDeliveryFailed():
                self._delivery(entry, data, signer)
            case E.ReleaseImported():
                self._imported(entry, data, signer)
            case (
                E.ChallengeFiled() | E.ChallengeAnswered() | E.ChallengeWithdrawn()
                | E.ComplaintFiled() | E.ComplaintScreened() | E.ComplaintDecided()
                | E.ComplaintWithdrawn()
            ):  # fmt: skip
                self._stream(entry, data, signer, self._procurement(code))
            case E.PlanFiled():
                self._on_stream(entry, code)
                self._plan(code, data, signer)
            case E.BidCommitted():
                self._committed(entry, data, signer)
            case E.BidBoxClosed():
                self._on_stream(entry, code)
                self._close(entry, data, signer, self._procurement(code))
            case (
                E.PlanApproved() | E.PlanRejected() | E.MethodApproved()
                | E.IntentionDisclosed() | E.TenderAnnounced() | E.AnnouncementCorrected()
                | E.PrequalificationAnnounced() | E.PrequalificationCompleted()
                | E.BidsOpened() | E.EvaluationCompleted() | E.CandidatesPublished()
                | E.AwardDecided() | E.ResultAnnounced() | E.ContractSigned()
                | E.ContractAnnounced() | E.ContractFiled() | E.TenderReportFiled()
                | E.SupplementaryContractSigned() | E.BidDepositsRefunded()
                | E.CallOffSigned() | E.CallOffAnnounced()
                | E.AcceptanceRecorded() | E.Archived() | E.ProcurementFailed()
                | E.ProcurementTerminated() | E.ProcurementSuspended() | E.ProcurementResumed()
            ):  # fmt: skip
                self._on_stream(entry, code)
                self._action(entry, data, signer, self._procurement(code))
            case (
                E.OrganisationRegistered() | E.OrganisationAmended() | E.ActorRegistered()
                | E.KeyRegistered() | E.KeyRevoked() | E.SealedValueRead()
                | E.SupplierDebarred()
                | E.CalendarAdopted() | E.TimeLimitsAdopted() | E.TimingReevaluated()
            ):  # fmt: skip
                raise AssertionError("registry, statute and read entries have replays of their own")
            case _:
                assert_never(data)

    @staticmethod
    def _on_stream(entry: dict[str, Any], code: str) -> None:
        if entry["stream"] != str(stream_id("procurement", code)):
            raise LifecycleViolation(f"{entry['type']} is not on the stream of procurement {code}")

    def _action(
        self,
        entry: dict[str, Any],
        data: E.LifecycleData,
        signer: Signer,
        procurement: ProcurementRecord,
    ) -> None:
        name = entry["type"]
        action = kind_of(data).action
        assert action is not None
        authorise(signer, action, _participants(procurement))
        if isinstance(data, E.MethodApproved) and self.timing is not None:
            self._approver(signer, procurement)
        transition = self._transition(procurement, action, data)
        if data.state != transition.state:
            raise LifecycleViolation(f"{name} records a state the lifecycle does not give")
        notice = transition.announcement
        if data.announcement != notice:
            shown = notice.value if notice else None
            recorded = data.announcement.value if data.announcement else None
            raise LifecycleViolation(f"{name} publishes {recorded}, not {shown}")
        if isinstance(data, E.ContractFiled):
            _filed(name, procurement, data)
        if isinstance(data, E.SupplementaryContractSigned):
            _supplement(name, procurement, data)
        if isinstance(data, E.BidDepositsRefunded):
            _refunds(name, procurement, data)
        if isinstance(data, E.PrequalificationCompleted):
            payload = entry["command"]["payload"]
            _prequalified(name, procurement, data, payload, self.registry.organisations)
        _works(works_steps(name, procurement, data, self.registry.organisations))
        _framework(name, procurement, data)
        if isinstance(data, E.ProcurementSuspended | E.ProcurementResumed):
            may_decide_complaint(signer, complaint_handler(procurement))
        if isinstance(data, E.ProcurementSuspended):
            complaint = procurement.complaints.get(data.cause)
            if complaint is None or complaint.status != "open":
                raise LifecycleViolation(f"{name} is not caused by a complaint being handled")
        recorded_rules = {finding.rule for finding in data.findings}
        if isinstance(data, E.EvaluationCompleted):
            payload = entry["command"]["payload"]
            report = report_message(procurement.code, payload["date"], payload["results"])
            self.reports[procurement.code] = (entry["index"], report)
        committee = self._committee(procurement, data)
        opening = _opening(entry, procurement, data)
        amounts = _amounts(procurement, data)
        irregular = (*transition.irregularities, *amounts, *committee, *opening)
        for irregularity in irregular:
            if irregularity.rule not in recorded_rules:
                raise LifecycleViolation(f"{name} leaves out the finding {irregularity.rule}")
        _works(works_award(name, procurement, data))
        # An amount's finding is computed from the entry alone: one it does not give is forged.
        forged = (recorded_rules & (AMOUNT_RULES | FRAMEWORK_AMOUNT_RULES)) - {
            i.rule for i in amounts
        }
        if forged:
            raise LifecycleViolation(
                f"{name} records the finding {', '.join(sorted(forged))}, which its amounts "
                "do not give"
            )
        self._disclosures(procurement, data)
        if self.timing is not None:
            self.timing.procurement(
                name, action, data.date, procurement.dates, procurement.method, data.findings,
                self.timing.at_threshold(procurement),
            )  # fmt: skip
            valid = len(procurement.valid_bidders or ())
            bids = len(data.bids) if isinstance(data, E.BidsOpened) else len(procurement.bids)
            self.timing.bidders(name, action, procurement.method, bids, valid, data.findings)
            self.timing.deposits(name, action, procurement, data)
            if isinstance(data, E.PrequalificationCompleted):
                works = is_works_tender(procurement.category, procurement.method)
                self.timing.prequalified(name, works, len(data.qualified), data.findings)
            self.timing.works(name, action, procurement, data)
            self.timing.framework(name, action, procurement, data)
            if isinstance(data, E.AwardDecided):
                evaluated = procurement.dates.get(Action.COMPLETE_EVALUATION)
                works = is_works_tender(procurement.category, procurement.method)
                self.timing.award(name, evaluated, data, works)
            if isinstance(data, E.TenderAnnounced):
                self.timing.announcement(name, procurement.method, data)
            if isinstance(data, E.AnnouncementCorrected):
                deadline = data.bid_deadline or procurement.bid_deadline
                self.timing.correction(name, procurement.method, data, deadline)
        if isinstance(data, E.TenderAnnounced | E.AnnouncementCorrected) and data.bid_deadline:
            self.deadline_signed[procurement.code] = entry["command"]["issued_at"]
        self._fold(procurement, data)
        if notice is not None:
            self.notices[entry["index"]] = procurement.code
            self.notice_dates[entry["index"]] = data.date

    def _committee(
        self, procurement: ProcurementRecord, data: E.LifecycleData
    ) -> tuple[Irregularity, ...]:
        """An award out of the committee's order; once the committee is disclosed, its
        make-up, and each expert's signature over the report with a key valid then."""
        if isinstance(data, E.AwardDecided):
            return ranking_irregularities(data.supplier, procurement.ranking, data.reason)
        if not isinstance(data, E.ResultAnnounced) or data.committee is None:
            return ()
        evaluated, report = self.reports[procurement.code]

        def expert_key(actor: str, key_id: str) -> bytes | None:
            state = self.registry.keys.get(key_id)
            held = self.registry.actors.get(actor)
            if state is None or held is None or held.role != Role.EVALUATION_EXPERT.value:
                return None
            valid = state.registered_at < evaluated and (
                state.revoked_at is None or state.revoked_at > evaluated
            )
            return state.public_key if valid and state.actor == actor else None

        try:
            members = parse_members(data.committee.value, "the disclosed committee")
            check_signatures(members, report, expert_key)
        except Invalid as problem:
            raise LifecycleViolation(
                f"the evaluation report of {procurement.code}: {problem}"
            ) from None
        return committee_irregularities(procurement.method, procurement.budget, members)

    def _approver(self, signer: Signer, procurement: ProcurementRecord) -> None:
        """Above the threshold (a row of the table, hence with --check-timing) a method is
        approved only by a finance office at 设区的市级 or above over the procurement's region."""
        assert self.timing is not None
        held = self.registry.jurisdictions.get(signer.organisation)
        required = self.timing.method_approval_required(procurement)
        try:
            may_approve_method(
                signer.organisation, held or Jurisdiction(""), procurement.region, required
            )
        except Forbidden as refused:
            raise LifecycleViolation(refused.message) from None

    def _transition(
        self, procurement: ProcurementRecord, action: Action, data: E.LifecycleData
    ) -> Transition:
        """What the lifecycle gives for the leaf. Whether a suspension had lapsed (30 days,
        政府采购法 第五十七条) depends on the calendar and the time-limit table: with them
        (--check-timing) it is computed; without, the leaf's own state says which reading it
        took, as time-limit findings are taken as recorded."""
        state, method = procurement.state, procurement.method
        if self.timing is not None:
            lapsed = self.timing.suspension_lapsed(state.suspended, data.date, procurement.dates)
            required = self.timing.method_approval_required(procurement)
            return decide(
                state,
                action,
                method,
                suspension_lapsed=lapsed,
                method_approval_required=required,
            )
        # Whether the method needed approval depends on the table's thresholds: without
        # them, a missing method approval is not required to be found.
        if state.suspended and action is not Action.RESUME:
            with suppress(Conflict):
                lapsed_reading = decide(
                    state, action, method, suspension_lapsed=True, method_approval_required=False
                )
                if lapsed_reading.state == data.state:
                    return lapsed_reading
        return decide(state, action, method, method_approval_required=False)

    def _delivery(self, entry: dict[str, Any], data: E.DeliveryData, signer: Signer) -> None:
        name = entry["type"]
        if signer.role is not Role.PUBLISHER:
            raise LifecycleViolation(f"{name} recorded by {signer.actor}, not the publisher")
        notice, destination = data.notice, data.destination
        if self.notices.get(notice) != data.procurement:
            raise LifecycleViolation(f"{name} for entry {notice}, which is no earlier notice")
        if entry["stream"] != str(delivery_stream(notice, destination)):
            raise LifecycleViolation(f"{name} is not on the stream of its notice and website")
        if (notice, destination) in self.delivered:
            raise LifecycleViolation(f"notice {notice} was already delivered to {destination}")
        delivered = isinstance(data, E.NoticeDelivered)
        if self.timing is not None:
            self.timing.delivery(
                name, self.notice_dates[notice], data.date, data.required, delivered,
                data.findings,
            )  # fmt: skip
        if delivered:
            self.delivered.add((notice, destination))

    def _imported(self, entry: dict[str, Any], data: E.ReleaseImported, signer: Signer) -> None:
        """Another system's release: by an importer, on its own stream, once, its text the
        release its data names, and its digest that text's."""
        if signer.role is not Role.IMPORTER:
            raise LifecycleViolation(f"release {data.id} imported by {signer.actor}, "
                                     "not an importing service")  # fmt: skip
        if entry["stream"] != str(import_stream(data.ocid, data.id)):
            raise LifecycleViolation(f"release {data.id} of {data.ocid} is not on its stream")
        if (data.ocid, data.id) in self.imported:
            raise LifecycleViolation(f"release {data.id} of {data.ocid} was imported twice")
        check_release(data.ocid, data.id, data.date, data.release)  # refusals: Invalid
        if data.digest != release_digest(data.release):
            raise LifecycleViolation(f"release {data.id} of {data.ocid}: digest differs")
        self.imported.add((data.ocid, data.id))

    def _procurement(self, code: str) -> ProcurementRecord:
        procurement = self.procurements.get(code)
        if procurement is None:
            raise LifecycleViolation(f"procurement {code} has no plan filed before this entry")
        return procurement

    def _plan(self, code: str, data: E.PlanFiled, signer: Signer) -> None:
        if code in self.procurements:
            raise LifecycleViolation(f"procurement {code} filed twice")
        if signer.role is not Role.PURCHASER or data.purchaser != signer.organisation:
            raise LifecycleViolation(f"plan of {data.purchaser} filed by {signer.actor}")
        if data.state != decide(State.initial(), Action.FILE_PLAN, data.method).state:
            raise LifecycleViolation("PlanFiled records a state the lifecycle does not give")
        self.procurements[code] = record = fold(None, data)
        self._track(record)

    def _track(self, p: ProcurementRecord) -> None:
        """Whether ``p``'s bid box is open now (announced, taking bids, not closed), and the
        window of leaves it was open for."""
        taking = p.method in BIDDING and p.state.progress is Stage.ANNOUNCED
        open_now = taking and p.state.closed is None and p.box is None
        if open_now and p.code not in self.open_boxes:
            self.open_boxes.add(p.code)
            self.windows[p.code] = (self._at, None)
        elif not open_now and p.code in self.open_boxes:
            self.open_boxes.discard(p.code)
            self.windows[p.code] = (self.windows[p.code][0], self._at)

    def _committed(self, entry: dict[str, Any], data: E.BidCommitted, signer: Signer) -> None:
        if signer.role is not Role.BID_BOX:
            raise LifecycleViolation(f"a sealed bid committed by {signer.actor}, not the bid box")
        if entry["version"] != 1:
            raise LifecycleViolation("a sealed bid is not the first entry of a stream of its own")
        if data.commitment in self.committed:
            raise LifecycleViolation(f"the bid commitment {data.commitment} is committed twice")
        self.committed[data.commitment] = entry["index"]
        self.box.committed[data.commitment] = entry["index"]

    def _close(
        self,
        entry: dict[str, Any],
        data: E.BidBoxClosed,
        signer: Signer,
        procurement: ProcurementRecord,
    ) -> None:
        authorise(signer, Action.OPEN_BIDS, _participants(procurement))
        if procurement.code not in self.open_boxes:
            raise LifecycleViolation(f"the bid box of {procurement.code} was not open to close")
        if data.size != bucket_size(data.size):
            raise LifecycleViolation(f"a closed box of {data.size}, not a power of two")
        self.closings[procurement.code] = entry["index"]
        self._fold(procurement, data)

    def _fold(
        self, procurement: ProcurementRecord, data: E.ProcurementData | E.StreamData
    ) -> None:
        after = fold(procurement, data)
        self.procurements[procurement.code] = after
        self._track(after)

    def _opening(self, p: ProcurementRecord, data: E.BidsOpened) -> None:
        """The opening discloses exactly the closed set, and its bids are the effective ones."""
        closing = self.closings.get(p.code)
        if p.box is None or closing is None or data.box is None:
            raise LifecycleViolation(f"the bids of {p.code} opened without a closed bid box")
        members = data.box
        commitments = [m.commitment for m in members]
        if commitments != sorted(set(commitments)) or len(members) != p.box.size:
            raise LifecycleViolation("the opening does not list the closed set once each, sorted")
        if box_root(commitments) != p.box.root:
            raise LifecycleViolation("the set opened is not the set the bid box closed with")
        envelopes: list[tuple[int, BoxEntry, str | None]] = []
        for member in members:
            try:
                check_disclosure(member.commitment, member.envelope, member.salt)
            except Invalid:
                raise LifecycleViolation(
                    f"bid box member {member.commitment} does not open its commitment"
                ) from None
            if member.envelope is None:
                if member.status != "dummy":
                    raise LifecycleViolation(f"a dummy of the bid box shown as {member.status}")
                self.reads.sealed[member.commitment] = (p.code, "")  # kept, owned by nobody
                continue
            envelopes.append(self._envelope(p, member, closing))
        envelopes.sort(key=lambda found: found[0])
        entries = [entry for _, entry, _ in envelopes]
        status = statuses(entries)
        for member in members:
            if member.envelope is not None and status[member.commitment] != member.status:
                shown = f"{member.status}, not {status[member.commitment]}"
                raise LifecycleViolation(f"bid box member {member.commitment} shown as {shown}")
        expected = [(e.supplier, p) for _, e, p in envelopes if status[e.commitment] == "bid"]
        if [(bid.supplier, bid.price.commitment) for bid in data.bids] != expected:
            raise LifecycleViolation("the bids opened are not the effective bids of the box")
        suppliers = {e.supplier for e in entries if e.supplier is not None}
        self.box_suppliers[p.code] = suppliers
        for challenger, number in sorted(self.standing.pop(p.code, set())):
            if challenger not in suppliers:
                raise LifecycleViolation(
                    f"{challenger} filed challenge {number} on {p.code} before the opening "
                    "without an envelope in its box"
                )
        in_order = _members_in_order(members, envelopes)
        for (_, entry, _), member in zip(envelopes, in_order, strict=True):
            self.committed.pop(entry.commitment)
            # Kept for the supplier from now on: readable as the ledger keeps it.
            assert entry.supplier is not None and member.envelope is not None
            owned = (p.code, sys.intern(entry.supplier))  # one copy of each supplier's code
            self.reads.sealed[entry.commitment] = owned
            for commitment in commitments_in(envelope_command(member.envelope)["payload"]):
                self.reads.sealed.setdefault(commitment, owned)
        self.box.opened.add(p.code)
        self.box.opened_in.update((entry.commitment, p.code) for entry in entries)
        self.opened_bids += len(entries)

    def _envelope(
        self, p: ProcurementRecord, member: E.BoxMember, closing: int
    ) -> tuple[int, BoxEntry, str | None]:
        """A disclosed envelope checked: the leaf that committed it, and what it says."""
        where = f"bid box member {member.commitment}"
        index = self.committed.get(member.commitment)
        if index is None:
            raise LifecycleViolation(f"{where} was never committed in the log, or opened twice")
        if index > closing:
            raise LifecycleViolation(f"{where} was committed after the box closed")
        assert member.envelope is not None
        command, organisation = self._supplier_signed(
            where, member.envelope, index, BOX_ENVELOPES, p.code, "a bid or an obtaining"
        )
        payload = command["payload"]
        day = date.fromisoformat(str(payload.get("date")))
        if p.bid_deadline is not None and day > p.bid_deadline:
            raise LifecycleViolation(f"{where} is dated {day}, after the deadline {p.bid_deadline}")
        at = f"{p.bid_deadline} {p.bid_deadline_time or '23:59'}"
        set_at = self.deadline_signed.get(p.code)
        if p.bid_deadline and signed_late(at, set_at, command["issued_at"]):
            raise LifecycleViolation(f"{where} was signed after the deadline {at} of a live box")
        price = payload.get("price")
        if command["type"] == OBTAIN_DOCUMENTS:
            return index, BoxEntry(member.commitment, organisation, obtained=True), None
        entry = BoxEntry(
            member.commitment,
            organisation,
            payload.get("supersedes"),
            payload.get("withdraw") is True,
        )
        return index, entry, price.get("commitment") if isinstance(price, dict) else None

    def _supplier_signed(
        self, where: str, envelope: Any, index: int, kinds: frozenset[str], code: str, what: str
    ) -> tuple[dict[str, Any], str]:
        """A supplier's sealed envelope checked: a command of one of ``kinds`` on ``code``,
        signed with a supplier's key valid at leaf ``index``; the command, and the supplier."""
        try:
            text, signature = envelope["command"], base64.b64decode(envelope["signature"])
            command = envelope_command(envelope)
            state = self.registry.keys[command["key"]]
            actor = self.registry.actors[state.actor]
        except (KeyError, TypeError, ValueError):
            raise LifecycleViolation(f"{where} is not a supplier's signed envelope") from None
        if command.get("type") not in kinds or command.get("procurement") != code:
            raise LifecycleViolation(f"{where} is not {what} on {code}")
        valid = state.registered_at < index and (state.revoked_at or index + 1) > index
        if state.actor != command.get("actor") or actor.role != Role.SUPPLIER.value or not valid:
            raise LifecycleViolation(f"{where} is not signed with a supplier's key valid when "
                                     "the box took it in")  # fmt: skip
        try:
            Ed25519PublicKey.from_public_bytes(state.public_key).verify(signature, text.encode())
        except InvalidSignature:
            raise LifecycleViolation(f"{where}: the supplier's signature does not verify") from None
        return command, actor.organisation

    def _answering(self, code: str) -> frozenset[str]:
        """Who answers the challenges of procurement ``code``: its purchaser and agency."""
        p = self.procurements.get(code)
        return frozenset() if p is None else p.answerers

    def _complainant(
        self, data: E.ComplaintFiled, filed: Objection, signer: Signer, p: ProcurementRecord
    ) -> None:
        """A complaint's disclosure of its challenge's envelope shows the complainant filed
        it: it opens the challenge's commitment to a ``FileChallenge`` on this procurement,
        of the day, subject and 应知之日 recorded, signed by the complainant's organisation,
        which had standing (the opening proves it for a challenge filed before it)."""
        where = f"the challenge {filed.number} the complaint discloses"
        index, challenge, sealed = self.challenges[filed.number]
        opened = data.challenger
        if opened.commitment != filed.envelope:
            raise LifecycleViolation(f"{where} is not the challenge's sealed envelope")
        try:
            check_disclosure(opened.commitment, opened.value, opened.salt)
        except Invalid:
            raise LifecycleViolation(f"{where} does not open its commitment") from None
        command, organisation = self._supplier_signed(
            where, opened.value, index, frozenset({FILE_CHALLENGE}), data.procurement,
            "a challenge",
        )  # fmt: skip
        if organisation != signer.organisation:
            raise LifecycleViolation(f"complaint on {data.challenge} by {signer.actor}, "
                                     "not by the supplier that challenged")  # fmt: skip
        payload = command["payload"]
        # The supplier declares the 应知之日 of a process challenge only (known_dates).
        declared = challenge.known_on.isoformat() if is_declared(challenge.subject) else None
        recorded = (challenge.date.isoformat(), declared, challenge.subject.value)
        if (payload.get("date"), payload.get("known_on"), payload.get("subject")) != recorded:
            raise LifecycleViolation(f"{where} is not the challenge recorded (its day, "
                                     "应知之日 or subject differ)")  # fmt: skip
        documents = challenge.subject is Subject.DOCUMENTS
        if sealed and p.code not in self.box.opened:
            self.standing.setdefault(p.code, set()).add((organisation, filed.number))
            return
        allowed = set(p.bidders) | (self.box_suppliers.get(p.code, set()) if documents or sealed
                                    else set())  # fmt: skip
        if organisation not in allowed:
            raise LifecycleViolation(f"{organisation} filed challenge {filed.number} on {p.code} "
                                     "without standing: it took no part")  # fmt: skip

    def dropped_bids(self) -> list[int]:
        """Leaves of sealed bids no opening disclosed, though every box open then was opened:
        those no window of a box never opened holds."""
        unopened = sorted(
            (start, self._at + 1 if end is None else end)
            for code, (start, end) in self.windows.items()
            if code not in self.box.opened
        )
        starts: list[int] = []  # the union of those windows, as disjoint sorted intervals
        ends: list[int] = []
        for start, end in unopened:
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        dropped = []
        for index in sorted(self.committed.values()):
            n = bisect.bisect_right(starts, index) - 1
            if n < 0 or index >= ends[n]:
                dropped.append(index)
        return dropped

    def sealed_counts(self) -> tuple[int, int]:
        """Envelopes disclosed by an opening, and envelopes still sealed."""
        return self.opened_bids, len(self.committed)

    def _disclosures(self, procurement: ProcurementRecord, data: E.LifecycleData) -> None:
        if isinstance(data, E.BidsOpened):
            if procurement.method in BIDDING:
                self._opening(procurement, data)
            for bid in data.bids:
                self._opens(bid.price.commitment, bid.price, "a bid price")
        if isinstance(data, E.ResultAnnounced) and procurement.committee is not None:
            if data.committee is None:
                raise LifecycleViolation("the disclosure of the committee is missing")
            self._opens(procurement.committee, data.committee, "the committee")

    @staticmethod
    def _opens(commitment: str, disclosure: Opened, what: str) -> None:
        if disclosure.commitment != commitment:
            raise LifecycleViolation(f"the disclosure of {what} names another commitment")
        try:
            check_disclosure(commitment, disclosure.value, disclosure.salt)
        except Invalid:
            raise LifecycleViolation(
                f"the disclosure of {what} does not open its commitment"
            ) from None

    def _closing(
        self, entry: dict[str, Any], data: E.StreamData, procurement: ProcurementRecord
    ) -> None:
        """An answer, decision or withdrawal: of the stream its payload names, once."""
        stream = "challenge" if entry["stream"] == str(stream_id("challenge", data.number)) else (
            "complaint"
        )  # fmt: skip
        if entry["command"]["payload"].get(stream) != data.number:
            raise LifecycleViolation(f"{entry['type']} is recorded on another {stream}")
        filed = procurement.challenges if stream == "challenge" else procurement.complaints
        if data.number not in filed:
            raise LifecycleViolation(f"{stream} {data.number} was not filed before")
        if filed[data.number].status != "open":
            raise LifecycleViolation(f"{stream} {data.number} was already closed")

    def _stream(
        self,
        entry: dict[str, Any],
        data: E.StreamData,
        signer: Signer,
        procurement: ProcurementRecord,
    ) -> None:
        name, code, number = entry["type"], entry["command"]["procurement"], data.number
        challenge = isinstance(data, E.ChallengeFiled | E.ChallengeAnswered | E.ChallengeWithdrawn)
        stream = "challenge" if challenge else "complaint"
        if entry["stream"] != str(stream_id(stream, number)):
            raise LifecycleViolation(f"{name} is not on the stream of {stream} {number}")
        match data:
            case E.ChallengeFiled():
                # The challenger is sealed: its standing was the ledger's to check, and is
                # shown to anyone by a complaint (below), to supervisors by a sealed read.
                expected = f"{code}-ZY{len(procurement.challenges) + 1}"
                if number != expected:
                    raise LifecycleViolation(f"challenge numbered {number}, expected {expected}")
                sealed = procurement.method in BIDDING and code not in self.box.opened
                self.challenges[number] = (entry["index"], data, sealed)
            case E.ComplaintFiled():
                filed = procurement.challenges.get(data.challenge)
                if filed is None:
                    raise LifecycleViolation(f"complaint on {data.challenge} by {signer.actor}")
                self._complainant(data, filed, signer, procurement)
                expected = f"{code}-TS{len(procurement.complaints) + 1}"
                if number != expected:
                    raise LifecycleViolation(f"complaint numbered {number}, expected {expected}")
            case E.ComplaintScreened():
                self._closing(entry, data, procurement)
                if procurement.complaints[number].screened:
                    raise LifecycleViolation(f"complaint {number} was already screened")
            case _:
                self._closing(entry, data, procurement)
        self._roles(data, signer, procurement)
        if self.timing is not None:
            self._timing(data, procurement)
        self._fold(procurement, data)

    def _timing(self, data: E.StreamData, procurement: ProcurementRecord) -> None:
        """A challenge or complaint leaf's time-limit findings, as ``TimingCheck`` gives them."""
        assert self.timing is not None
        name = type(data).__name__
        works = is_works_tender(procurement.category, procurement.method)
        match data:
            case E.ChallengeAnswered():
                filed: dict[type[StreamData], date] = {
                    E.ChallengeFiled: procurement.challenges[data.number].filed_on
                }
                self.timing.stream(E.ChallengeAnswered, data.date, filed, data.findings, works)
            case E.ComplaintDecided() | E.ComplaintScreened():
                complaint = procurement.complaints[data.number]
                dates: dict[type[StreamData], date] = {E.ComplaintFiled: complaint.filed_on}
                if complaint.screened_on is not None:
                    dates[E.ComplaintScreened] = complaint.screened_on
                self.timing.stream(type(data), data.date, dates, data.findings, works)
            case E.ChallengeFiled():
                self.timing.known_on(name, data, procurement)
                if works:
                    self.timing.objection(name, data, procurement)
                else:
                    self.timing.limit(
                        name, "challenge_filed_after_known", data.known_on, data.date,
                        data.findings,
                    )  # fmt: skip
            case E.ComplaintFiled():
                challenge = procurement.challenges[data.challenge]
                if works:
                    self.timing.works_complaint(name, challenge, data.date, data.findings)
                else:
                    self.timing.complaint(name, challenge.filed_on, data.date, data.findings)
            case E.ChallengeWithdrawn() | E.ComplaintWithdrawn():
                pass
            case _:
                assert_never(data)

    @staticmethod
    def _roles(data: E.StreamData, signer: Signer, procurement: ProcurementRecord) -> None:
        """Who may answer, decide or withdraw."""
        match data:
            case E.ComplaintDecided() | E.ComplaintScreened():
                may_decide_complaint(signer, complaint_handler(procurement))
            case E.ChallengeAnswered():
                answers = (Role.PURCHASER, procurement.purchaser), (Role.AGENCY, procurement.agency)
                if (signer.role, signer.organisation) not in answers:
                    raise LifecycleViolation(f"challenge {data.number} answered by {signer.actor}")
            case E.ChallengeFiled() | E.ChallengeWithdrawn():  # sealed: the box records them
                if signer.role is not Role.BID_BOX:
                    raise LifecycleViolation(f"challenge {data.number} recorded by "
                                             f"{signer.actor}, not the box service")  # fmt: skip
            case E.ComplaintWithdrawn():
                if procurement.complaints[data.number].supplier != signer.organisation:
                    raise LifecycleViolation(f"complaint {data.number} withdrawn by {signer.actor}")
            case E.ComplaintFiled():
                pass
            case _:
                assert_never(data)


def _members_in_order(
    members: list[E.BoxMember], envelopes: list[tuple[int, BoxEntry, str | None]]
) -> list[E.BoxMember]:
    """The members that are envelopes, in the order of ``envelopes``."""
    by_commitment = {m.commitment: m for m in members}
    return [by_commitment[entry.commitment] for _, entry, _ in envelopes]


def _works(wrong: str | None) -> None:
    if wrong is not None:
        raise LifecycleViolation(wrong)


def _filed(name: str, procurement: ProcurementRecord, data: E.ContractFiled) -> None:
    """A contract is filed once (政府采购法 第四十七条), under its own number."""
    if Action.FILE_CONTRACT in procurement.dates:
        raise LifecycleViolation(f"{name}: the contract of {procurement.code} was already filed")
    if data.contract_number != procurement.contract_number:
        raise LifecycleViolation(
            f"{name} files contract {data.contract_number}, not the one signed "
            f"({procurement.contract_number})"
        )


def _supplement(
    name: str, procurement: ProcurementRecord, data: E.SupplementaryContractSigned
) -> None:
    """A supplementary contract is the winner's, under a number of its own, and its total is
    every supplement of the procurement so far."""
    p = procurement
    if data.supplier != p.winner:
        raise LifecycleViolation(f"{name} names {data.supplier}, not the winner {p.winner}")
    if data.contract_number == p.contract_number or data.contract_number in p.supplements:
        raise LifecycleViolation(f"{name} reuses the contract number {data.contract_number}")
    if data.amount.fen == 0 or data.total != p.supplementary_total + data.amount:
        raise LifecycleViolation(
            f"{name} records a total of {data.total}, not the supplements so far and its "
            f"{data.amount} ({p.supplementary_total + data.amount})"
        )


#: Findings of a framework agreement's amounts and counts, computed from the entry alone.
FRAMEWORK_AMOUNT_RULES: Final = frozenset(
    {ELIMINATION.irregularity.rule, _OVER_AGREEMENT.rule}
)


def _framework(name: str, procurement: ProcurementRecord, data: E.LifecycleData) -> None:
    """A framework agreement's admission, term and call-offs are as the command allows
    (财政部令第110号; ``framework``); no other procurement has them."""
    p = procurement
    framework = p.method is Method.FRAMEWORK_AGREEMENT
    match data:
        case E.AwardDecided():
            if framework != (data.admitted is not None):
                raise LifecycleViolation(f"{name}: only a framework agreement admits suppliers")
            if data.admitted is not None:
                valid = p.valid_bidders or ()
                if len(set(data.admitted)) != len(data.admitted) or any(
                    s not in valid for s in data.admitted
                ):
                    raise LifecycleViolation(f"{name} admits a supplier that is no valid responder")
                if data.supplier != data.admitted[0]:
                    raise LifecycleViolation(f"{name}: its supplier is not the first admitted")
        case E.ResultAnnounced():
            if (data.admitted or []) != list(p.admitted):
                raise LifecycleViolation(f"{name} names other admitted suppliers than the award")
        case E.ContractSigned():
            if framework != (data.term_ends is not None):
                raise LifecycleViolation(f"{name}: only a framework agreement has a term")
            if data.term_ends is not None and data.term_ends < data.date:
                raise LifecycleViolation(f"{name}: its term ends before it was signed")
        case E.CallOffSigned():
            refusal = call_off_refusal(p, data.supplier, data.date)
            if refusal is not None:
                raise LifecycleViolation(f"{name}: {refusal}")
            if data.contract_number == p.contract_number or data.contract_number in p.call_offs:
                raise LifecycleViolation(f"{name} reuses the number {data.contract_number}")
            if data.amount.fen == 0 or data.total != p.call_off_total + data.amount:
                raise LifecycleViolation(
                    f"{name} records a total of {data.total}, not the call-offs so far and its "
                    f"{data.amount} ({p.call_off_total + data.amount})"
                )
        case E.CallOffAnnounced():
            call_off = p.call_offs.get(data.contract_number)
            if call_off is None or call_off.announced_on is not None:
                raise LifecycleViolation(
                    f"{name} announces {data.contract_number}, no call-off awaiting its notice"
                )
            told = (data.supplier, data.amount, data.selection)
            if told != (call_off.supplier, call_off.amount, call_off.selection):
                raise LifecycleViolation(f"{name} tells another call-off than the one signed")
        case _:
            return


def _refunds(name: str, procurement: ProcurementRecord, data: E.BidDepositsRefunded) -> None:
    """Deposits are refunded to bidders of a notice that asked them, each once."""
    owed = bidders(procurement)
    refunded = list(procurement.refunded)
    if not data.suppliers:
        raise LifecycleViolation(f"{name} refunds nobody")
    for supplier in data.suppliers:
        if supplier not in owed or supplier in refunded:
            raise LifecycleViolation(f"{name} refunds {supplier}, who has no deposit owed")
        refunded.append(supplier)


def _amounts(procurement: ProcurementRecord, data: E.LifecycleData) -> tuple[Irregularity, ...]:
    """An award or contract above the budget, a contract for another sum than the award; a
    deposit or the supplementary contracts above their share (``amounts``)."""
    match data:
        case E.AwardDecided():
            admitted = (
                admission_irregularities(
                    len(data.admitted), len(procurement.valid_bidders or ())
                )
                if data.admitted
                else ()
            )
            return (
                *award_irregularities(data.amount, procurement.budget, procurement.ceiling),
                *admitted,
            )
        case E.TenderAnnounced():
            return bid_deposit_irregularities(data.bid_deposit, procurement.budget)
        case E.ContractSigned():
            return (
                *contract_irregularities(
                    data.amount, procurement.budget, procurement.award_amount
                ),
                *performance_deposit_irregularities(data.performance_deposit, data.amount),
            )
        case E.SupplementaryContractSigned():
            assert procurement.contract_amount is not None  # the lifecycle says so
            return supplementary_irregularities(data.total, procurement.contract_amount)
        case E.CallOffSigned():
            return total_irregularities(data.total, procurement.contract_amount)
        case _:
            return ()


def _opening(
    entry: dict[str, Any], procurement: ProcurementRecord, data: E.LifecycleData
) -> tuple[Irregularity, ...]:
    """An opening's minute is the one its command states (or was signed at), and a 招标
    opened at another minute than its deadline's carries the finding."""
    if not isinstance(data, E.BidsOpened) or data.opened_at is None:
        return ()
    command = entry["command"]
    stated = command["payload"].get("time")
    if stated is not None:
        signed = moment(data.date, stated)
    else:
        issued = datetime.fromisoformat(command["issued_at"].replace("Z", "+00:00"))
        signed = issued.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if data.opened_at != signed:
        raise LifecycleViolation(f"BidsOpened records the opening at {data.opened_at}, not "
                                 f"the minute its command gives ({signed})")  # fmt: skip
    return opening_irregularities(
        procurement.method, data.opened_at, procurement.bid_deadline, procurement.bid_deadline_time
    )


def _prequalified(
    name: str, p: ProcurementRecord, data: E.PrequalificationCompleted,
    payload: dict[str, Any], kinds: Mapping[str, str],
) -> None:  # fmt: skip
    """A 资格预审 result follows its call, once, after the applications closed, and lists
    the applicants as signed, each once, each a registered supplier (``kinds``: code → the
    registry's kind)."""
    refusal = result_refusal(p, data.date)
    if refusal is not None:
        raise LifecycleViolation(f"{name} should have been refused: {refusal}")
    refused = [r.model_dump(mode="json") for r in data.refused]
    if (data.qualified, refused) != (payload.get("qualified", []), payload.get("refused", [])):
        raise LifecycleViolation(f"{name} lists applicants other than the signed payload's")
    named = [*data.qualified, *(r.supplier for r in data.refused)]
    if len(set(named)) != len(named):
        raise LifecycleViolation(f"{name} names an applicant twice")
    strangers = [code for code in named if kinds.get(code) != Role.SUPPLIER.value]
    if strangers:
        raise LifecycleViolation(f"{name} names {', '.join(strangers)}, not registered suppliers")


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
