"""Where one procurement stands 采购进度: its plan, method approval, progress and closure.

The lifecycle table (``lifecycle``) moves a procurement from one ``State`` to the next; every
lifecycle entry of the log records the ``State`` it led to (``schema``), so a reader of the
log alone knows where each procurement stood after each entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Final, Literal

from ledger.domain.vocabulary import Term

Plan = Literal["none", "filed", "approved", "rejected"]
Closure = Literal["failed", "terminated", "archived"]


class Stage(Term):
    """How far the procurement itself has got 采购进度 (the plan is tracked apart)."""

    NONE = "none"
    INTENTION_DISCLOSED = "intention_disclosed"
    ANNOUNCED = "announced"
    BIDS_OPENED = "bids_opened"
    EVALUATED = "evaluated"
    AWARDED = "awarded"
    RESULT_ANNOUNCED = "result_announced"
    CONTRACT_SIGNED = "contract_signed"
    CONTRACT_ANNOUNCED = "contract_announced"
    ACCEPTED = "accepted"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self.value]


_STAGE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        Stage.NONE: "未开始采购",
        Stage.INTENTION_DISCLOSED: "已公开采购意向",
        Stage.ANNOUNCED: "已发布采购公告",
        Stage.BIDS_OPENED: "已开标",
        Stage.EVALUATED: "已完成评审",
        Stage.AWARDED: "已确定中标（成交）供应商",
        Stage.RESULT_ANNOUNCED: "已发布结果公告",
        Stage.CONTRACT_SIGNED: "已签订合同",
        Stage.CONTRACT_ANNOUNCED: "已发布合同公告",
        Stage.ACCEPTED: "已履约验收",
    }
)
_PLAN_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "none": "采购计划未备案",
        "filed": "采购计划已备案待批复",
        "approved": "采购计划已批复",
        "rejected": "采购计划已退回",
    }
)
_CLOSURE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {"failed": "已废标", "terminated": "已终止", "archived": "已归档"}
)


@dataclass(frozen=True)
class State:
    """Where one procurement stands: its plan, method approval, progress and closure."""

    # Read from and written to the log as it is (``schema``): no field beyond these.
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    plan: Plan = "none"
    method_approved: bool = False
    progress: Stage = Stage.NONE
    closed: Closure | None = None
    suspended: bool = False

    @classmethod
    def initial(cls) -> State:
        """Before anything was recorded."""
        return cls()

    @property
    def label(self) -> str:
        """The state in Chinese, as an error message or a page shows it."""
        parts = [
            _PLAN_LABELS[self.plan],
            "采购方式已批准" if self.method_approved else "采购方式未批准",
            self.progress.label,
        ]
        if self.closed is not None:
            parts.append(_CLOSURE_LABELS[self.closed])
        if self.suspended:
            parts.append("采购活动暂停中")
        return "，".join(parts)
