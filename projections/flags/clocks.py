"""The statutory clocks the red flags follow: which procurement column starts each one."""

from __future__ import annotations

from typing import Final

#: Rules whose clock the projection keeps for an act that may never come, and the
#: procurement column holding the leaf that started it.
CLOCKS: Final = {
    "result_announced_after_award": "award_leaf",
    "contract_signed_after_award_notice": "result_leaf",
    "contract_announced_after_signing": "contract_leaf",
    "contract_filed_after_signing": "contract_leaf",
}
#: For a finding of a time limit, the procurement column of the leaf its clock started at.
STARTS: Final = {
    **CLOCKS,
    "intention_disclosed_before_procurement": "intention_leaf",
    "tender_documents_to_bid_deadline": "tender_leaf",
    "negotiation_documents_to_first_response": "tender_leaf",
    "consultation_documents_to_first_response": "tender_leaf",
    "framework_documents_to_response_deadline": "tender_leaf",
    "single_source_notice_period": "tender_leaf",
    "minimum_valid_bidders_open_tender": "eval_leaf",
    "contract_before_result_announced": "award_leaf",
}
