"""The text of each kind of notification, rendered in the reader's language when read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TEXTS = {
    "submit_survey": _("%(union)s submitted its survey."),
    "return_survey": _("The survey of %(union)s was returned: %(comment)s"),
    "accept_survey": _("The survey of %(union)s was accepted and assessed."),
    "submit_assessment": _("The assessment of %(union)s awaits approval."),
    "return_assessment": _("The assessment of %(union)s was returned: %(comment)s"),
    "approve_assessment": _("The assessment of %(union)s was approved."),
    "reassess": _("%(union)s was reassessed."),
    "recommend_model": _("%(union)s is recommended as a model union."),
    "decline_model": _("%(union)s was not selected as a model union: %(comment)s"),
    "select_model": _("%(union)s was selected as a model union."),
    "close": _("The case of %(union)s was closed."),
    "subsidy_submit": _("A subsidy of %(amount)s yuan for %(union)s awaits sign-off."),
    "subsidy_sign_off": _("The subsidy for %(union)s was signed off."),
    "subsidy_reject": _("The subsidy for %(union)s was rejected: %(comment)s"),
    "subsidy_disburse": _("The subsidy for %(union)s was disbursed."),
    "summary_submit": _("%(federation)s submitted its county summary."),
    "summary_accept": _("The county summary of %(federation)s was accepted."),
    "summary_return": _("The county summary of %(federation)s was returned: %(comment)s"),
}


def render(kind: str, params: dict) -> str:
    template = TEXTS.get(kind)
    if template is None:
        return params.get("text", kind)
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
