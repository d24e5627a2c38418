"""The sentence of each kind of notification, rendered in the reader's language when read or pushed.

Rows store ``kind`` and ``params`` only, never the sentence, so one row reads in Chinese to one
user and in English to another, and a corrected translation corrects old notifications too.
A kind whose sentence counts something uses ``ngettext_lazy`` keyed by that count.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

TEXTS = {
    # Derived from events (notifications.dispatch.RECIPIENTS).
    "submit_survey": _("%(union)s submitted its survey."),
    "return_survey": _("The survey of %(union)s was returned: %(comment)s"),
    "accept_survey": _("The survey of %(union)s was accepted and assessed."),
    "submit_assessment": _("The assessment of %(union)s awaits approval."),
    "return_assessment": _("The assessment of %(union)s was returned: %(comment)s"),
    "approve_assessment": _("The assessment of %(union)s was approved."),
    "recommend_model": _("%(union)s is recommended as a model union."),
    "decline_model": _("%(union)s was not selected as a model union: %(comment)s"),
    "select_model": _("%(union)s was selected as a model union."),
    "subsidy_submit": _("A subsidy of %(amount)s yuan for %(union)s awaits sign-off."),
    "subsidy_sign_off": _("The subsidy of %(amount)s yuan for %(union)s was signed off."),
    "subsidy_reject": _("The subsidy for %(union)s was rejected: %(comment)s"),
    "subsidy_disburse": _("The subsidy of %(amount)s yuan for %(union)s was disbursed."),
    "summary_submit": _("%(federation)s submitted its county summary."),
    "summary_accept": _("The county summary of %(federation)s was accepted."),
    "summary_return": _("The county summary of %(federation)s was returned: %(comment)s"),
    # Deadlines (notifications.reminders), to county officers.
    "survey_deadline_7d": ngettext_lazy(
        "Surveys of “%(campaign)s” are due on %(deadline)s: %(federation)s has %(pending)d union "
        "whose survey is not submitted yet.",
        "Surveys of “%(campaign)s” are due on %(deadline)s: %(federation)s has %(pending)d unions "
        "whose surveys are not submitted yet.",
        "pending",
    ),
    "survey_deadline_1d": ngettext_lazy(
        "Last day: surveys of “%(campaign)s” are due on %(deadline)s and %(federation)s still has "
        "%(pending)d union whose survey is not submitted.",
        "Last day: surveys of “%(campaign)s” are due on %(deadline)s and %(federation)s still has "
        "%(pending)d unions whose surveys are not submitted.",
        "pending",
    ),
    "survey_overdue": ngettext_lazy(
        "Surveys of “%(campaign)s” were due on %(deadline)s: %(federation)s has %(pending)d union "
        "whose survey is still not submitted.",
        "Surveys of “%(campaign)s” were due on %(deadline)s: %(federation)s has %(pending)d unions "
        "whose surveys are still not submitted.",
        "pending",
    ),
    "summary_deadline_7d": _(
        "The county summary of %(federation)s for “%(campaign)s” is due on %(deadline)s."
    ),
    "summary_deadline_1d": _(
        "Last day: the county summary of %(federation)s for “%(campaign)s” is due on %(deadline)s."
    ),
    "summary_overdue": _(
        "The county summary of %(federation)s for “%(campaign)s” was due on %(deadline)s and has "
        "not been submitted."
    ),
    # Deadlines, to the reporter of one union whose survey is pending.
    "union_survey_deadline_7d": _(
        "The survey of %(union)s for “%(campaign)s” is due on %(deadline)s."
    ),
    "union_survey_deadline_1d": _(
        "Last day: the survey of %(union)s for “%(campaign)s” is due on %(deadline)s."
    ),
    "union_survey_overdue": _(
        "The survey of %(union)s for “%(campaign)s” was due on %(deadline)s and is not submitted."
    ),
    # Monitors (notifications.reminders), to the reporters of one union.
    "roster_stale": _(
        "The member roster of %(union)s was last updated on %(roster_updated_on)s, more than six "
        "months ago."
    ),
    "congress_term_ending": _(
        "The members' congress term of %(union)s ends on %(term_ends_on)s: prepare the election."
    ),
    "congress_term_ended": _(
        "The members' congress term of %(union)s ended on %(term_ends_on)s: the election is overdue."
    ),
    "no_member_evaluation": _("%(union)s has held no member evaluation in %(year)s."),
    # Monitors, one digest a month per county to its officers.
    "roster_stale_digest": ngettext_lazy(
        "%(count)d union of %(federation)s has a member roster more than six months old: %(unions)s",
        "%(count)d unions of %(federation)s have member rosters more than six months old: %(unions)s",
        "count",
    ),
    "congress_term_digest": ngettext_lazy(
        "%(count)d union of %(federation)s has a members' congress term ending within 60 days or "
        "already ended: %(unions)s",
        "%(count)d unions of %(federation)s have members' congress terms ending within 60 days or "
        "already ended: %(unions)s",
        "count",
    ),
    "no_member_evaluation_digest": ngettext_lazy(
        "%(count)d union of %(federation)s has held no member evaluation in %(year)s: %(unions)s",
        "%(count)d unions of %(federation)s have held no member evaluation in %(year)s: %(unions)s",
        "count",
    ),
}


class _Params(dict):
    """A missing parameter renders as nothing rather than breaking the sentence."""

    def __missing__(self, key: str) -> str:
        return ""


def render(kind: str, params: dict[str, Any]) -> str:
    """The sentence of ``kind`` in the active language."""
    template = TEXTS.get(kind)
    if template is None:
        return str(params.get("text") or kind)
    values = _Params(params)
    try:
        # ngettext_lazy picks its form from values[<count key>]; a missing count means plural.
        return template % values
    except (TypeError, ValueError, KeyError):
        return str(template)
