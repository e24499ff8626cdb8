"""Reads for visits, in three modules; import from `visits.selectors` (every public name is re-exported here).

`scoping` says which contacts a user may read (`contacts_visible_to`, built on members.access's `Scope`) and
lists a household's or place's history; `compliance` is the engine that judges links against the quota rules
in the database (`rule_groups`, `annotate_compliance`, `link_compliance`, `member_status_counts`, and the
status rule itself in its docstring, counted from visits/tallies.py's `LinkTally`); `summaries` adds those
statuses up for the pages, the API and the dashboards (`compliance_summary`, and who has had no contact:
`households_without_contact`, `members_without_contact`). Summaries import the engine, the engine imports
neither of the others.
"""

from .compliance import (
    PATH_STEP,
    LinkCompliance,
    RuleGroup,
    RuleStatus,
    annotate_compliance,
    as_of_end,
    judged,
    link_compliance,
    link_id_range,
    member_status_counts,
    needing_pairing,
    rule_groups,
)
from .scoping import InArray, contacts_visible_to, household_history, last_kind_for, place_history
from .summaries import (
    LIST_LIMIT,
    ComplianceStart,
    compliance_start,
    compliance_summary,
    households_without_contact,
    members_without_contact,
)

__all__ = [
    "LIST_LIMIT",
    "PATH_STEP",
    "InArray",
    "LinkCompliance",
    "RuleGroup",
    "RuleStatus",
    "annotate_compliance",
    "as_of_end",
    "ComplianceStart",
    "compliance_start",
    "compliance_summary",
    "contacts_visible_to",
    "household_history",
    "households_without_contact",
    "judged",
    "last_kind_for",
    "link_compliance",
    "link_id_range",
    "member_status_counts",
    "members_without_contact",
    "needing_pairing",
    "place_history",
    "rule_groups",
]
