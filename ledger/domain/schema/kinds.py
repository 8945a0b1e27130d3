"""The catalogue of log entry kinds: for each, its data, command, stream, signers and notices.

``KINDS`` is the one list of what the log may hold. Every other list of entry kinds (those
of a procurement's timeline, those that may publish a notice, which command records which
entry) is derived from it here, never typed out again. Lifecycle kinds take their signers
and notices from the lifecycle and role tables, which hold the rules and their citations.

Adding a kind: its data class in ``entries``, its row here; mypy then names every reader
that dispatches on ``EntryData`` and does not handle it yet (each ends in ``assert_never``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, get_args

from ledger.domain.lifecycle import RULES, Action
from ledger.domain.roles import PERMISSIONS
from ledger.domain.schema import entries as E
from ledger.domain.schema.entries import EntryData
from ledger.domain.vocabulary import AnnouncementType, Role

Stream = Literal[
    "organisation", "actor", "key", "procurement", "challenge", "complaint", "delivery",
    "reader", "bid", "statutes", "import",
]
#: The command that creates the registry's first records (the finance office, its
#: administrator and the administrator's key) in one signed act.
GENESIS: Final = "Genesis"


@dataclass(frozen=True)
class Kind:
    """One kind of log entry."""

    data: type[EntryData]
    command: str  # the command type that records it
    stream: Stream  # the kind of stream it is appended to
    signers: frozenset[Role]  # the roles whose actors may sign its command
    label_zh: str  # what a timeline calls it
    notices: frozenset[AnnouncementType] = frozenset()  # the notices it may publish
    action: Action | None = None  # the lifecycle action it records

    @property
    def name(self) -> str:
        """The leaf's ``type``."""
        return self.data.__name__


def _lifecycle(action: Action) -> Kind:
    rule = RULES[action]
    notices = {rule.announcement, *rule.announcement_by_method.values()} - {None}
    return Kind(
        data=rule.kind,
        command=action.command,
        stream="procurement",
        signers=PERMISSIONS[action].roles,
        label_zh=rule.label,
        notices=frozenset(n for n in notices if n is not None),
        action=action,
    )


_FINANCE: Final = frozenset({Role.FINANCE_OFFICE})
_ANY: Final = frozenset(Role)
_SUPPLIER: Final = frozenset({Role.SUPPLIER})
_HANDLING: Final = frozenset({Role.FINANCE_OFFICE, Role.SUPERVISION_DEPARTMENT})
_ANSWERING: Final = frozenset({Role.PURCHASER, Role.AGENCY})
_PUBLISHER: Final = frozenset({Role.PUBLISHER})
_BOX: Final = frozenset({Role.BID_BOX})
_IMPORTER: Final = frozenset({Role.IMPORTER})
#: Who runs a procurement's box: its purchaser, or the agency it appointed.
_RUNNING: Final = frozenset({Role.PURCHASER, Role.AGENCY})

#: Every kind: the registry's, a procurement's, its challenges' and complaints', receipts.
# fmt: off
KINDS: Final[tuple[Kind, ...]] = (
    # The finance office registers; an organisation amends itself; an actor revokes its own key;
    # an organisation's administrator enrols its own people and keys (roles.ADMINISTRATION).
    Kind(E.OrganisationRegistered, "RegisterOrganisation", "organisation", _FINANCE, "登记单位"),
    Kind(E.OrganisationAmended, "AmendOrganisation", "organisation", _ANY, "变更单位信息"),
    Kind(E.SupplierDebarred, "RecordDebarment", "organisation", _FINANCE,
         "记录禁止参加政府采购活动"),
    Kind(E.ActorRegistered, "RegisterActor", "actor", _ANY, "登记人员"),
    Kind(E.KeyRegistered, "RegisterKey", "key", _ANY, "登记签名密钥"),
    Kind(E.KeyRevoked, "RevokeKey", "key", _ANY, "作废签名密钥"),
    # Every lifecycle action records its own kind, in the order of the lifecycle table.
    *(_lifecycle(action) for action in Action),
    # A supplier's SubmitBid is sealed: the public entry is the box's, on a stream of its own.
    Kind(E.BidCommitted, "CommitBid", "bid", _BOX, "投标箱收到一份密封文件"),
    Kind(E.BidBoxClosed, "CloseBidBox", "procurement", _RUNNING, "投标截止，投标箱封存"),
    # A supplier's FileChallenge and WithdrawChallenge are sealed likewise: the box records
    # them, so the leaf names neither the challenger nor its grounds.
    Kind(E.ChallengeFiled, "RecordChallenge", "challenge", _BOX, "提出质疑"),
    Kind(E.ChallengeAnswered, "AnswerChallenge", "challenge", _ANSWERING, "质疑答复"),
    Kind(E.ChallengeWithdrawn, "RecordChallengeWithdrawal", "challenge", _BOX, "撤回质疑"),
    Kind(E.ComplaintFiled, "FileComplaint", "complaint", _SUPPLIER, "提起投诉"),
    # A works tender's complaints: its 行政监督部门 (招标投标法实施条例 第六十、六十一条).
    Kind(E.ComplaintScreened, "ScreenComplaint", "complaint", _HANDLING, "投诉审查"),
    Kind(E.ComplaintDecided, "DecideComplaint", "complaint", _HANDLING, "投诉处理决定"),
    Kind(E.ComplaintWithdrawn, "WithdrawComplaint", "complaint", _SUPPLIER, "撤回投诉"),
    Kind(E.NoticeDelivered, "RecordDelivery", "delivery", _PUBLISHER, "公告已送达发布网站"),
    Kind(E.NoticeDeliveryFailed, "RecordDeliveryFailure", "delivery", _PUBLISHER,
         "公告未能送达发布网站"),
    # Supervisors read any sealed value; others those their own organisation sealed.
    Kind(E.SealedValueRead, "ReadSealed", "reader", _ANY, "查阅密封信息"),
    # The finance office adopts the calendar and the time-limit table; adopting a year
    # re-evaluates the provisional results counted through it, in the same command.
    Kind(E.CalendarAdopted, "AdoptCalendar", "statutes", _FINANCE, "采纳工作日历"),
    Kind(E.TimeLimitsAdopted, "AdoptTimeLimits", "statutes", _FINANCE, "采纳法定时限表"),
    Kind(E.TimingReevaluated, "AdoptCalendar", "statutes", _FINANCE, "暂定结果重新核算"),
    # Another system's OCDS release, recorded by an importing service, not a notice of ours.
    Kind(E.ReleaseImported, "ImportRelease", "import", _IMPORTER, "导入OCDS发布"),
)
# fmt: on

#: Each kind by the leaf's ``type``.
BY_NAME: Final[Mapping[str, Kind]] = MappingProxyType({k.name: k for k in KINDS})
#: Each kind by its data class.
BY_DATA: Final[Mapping[type[EntryData], Kind]] = MappingProxyType({k.data: k for k in KINDS})
#: Kinds a command records after the one it is named for: an adoption's re-evaluations.
FOLLOWING_KINDS: Final = frozenset({E.TimingReevaluated})
#: The kind each command type records (Genesis records three: see ``GENESIS_KINDS``).
BY_COMMAND: Final[Mapping[str, Kind]] = MappingProxyType(
    {k.command: k for k in KINDS if k.data not in FOLLOWING_KINDS}
)
GENESIS_KINDS: Final = (E.OrganisationRegistered, E.ActorRegistered, E.KeyRegistered)


def kinds_on(*streams: Stream) -> frozenset[str]:
    """The names of the kinds appended to streams of these kinds."""
    return frozenset(k.name for k in KINDS if k.stream in streams)


#: Entries of a procurement's own stream, and of its challenges and complaints.
PROCUREMENT_KINDS: Final = kinds_on("procurement")
STREAM_KINDS: Final = kinds_on("challenge", "complaint")
DELIVERY_KINDS: Final = kinds_on("delivery")
REGISTRY_KINDS: Final = kinds_on("organisation", "actor", "key")
STATUTE_KINDS: Final = kinds_on("statutes")
IMPORT_KINDS: Final = kinds_on("import")
#: Kinds that may publish a notice.
NOTICE_KINDS: Final = frozenset(k.name for k in KINDS if k.notices)


def kind_of(data: EntryData) -> Kind:
    return BY_DATA[type(data)]


def _check_catalogue() -> None:
    """Every data class of ``EntryData`` has exactly one row (checked at import)."""
    declared = {cls for union in get_args(EntryData) for cls in _members(union)}
    listed = set(BY_DATA)
    if declared != listed or len(KINDS) != len(listed):
        missing = sorted(c.__name__ for c in declared - listed)
        extra = sorted(c.__name__ for c in listed - declared)
        raise AssertionError(f"log kinds catalogue: missing {missing}, not in EntryData {extra}")


def _members(tp: object) -> tuple[type[EntryData], ...]:
    args = get_args(tp)
    return args if args else (tp,)


_check_catalogue()
