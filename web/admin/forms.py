"""The administration's forms. They parse what was typed (text, dates, numbers, choices); the
rules live in ``workflow.domain.administration``, whose refusals are shown at each field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.domain.administration import Invalid

from ..i18n import localized


def optional_int(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def refuse(form: FlaskForm, invalid: Invalid) -> None:
    """Puts the domain's messages on the form's fields (the first field's, if it has no such field)."""
    for name, messages in invalid.fields.items():
        target = getattr(form, name, None)
        if target is None:
            target = next(f for f in form if f.name != "csrf_token")
        target.errors = list(target.errors) + [localized(m) for m in messages]


def values(form: FlaskForm, *names: str) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in names}


class BodyForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("Letters without diacritics, digits, '-', '_' or '.'"))
    name = StringField(_l("Name"))
    name_en = StringField(_l("Name in English"))
    short_name = StringField(_l("Short name"))
    level = SelectField(_l("Level"), choices=[])
    parent_id = SelectField(_l("Parent body"), coerce=optional_int, choices=[])
    place = StringField(_l("Place"), description=_l("As the decision's date line writes it, e.g. Thái Bình"))
    document_symbol = StringField(_l("Document symbol"), description=_l("As in 125/QĐ-BTCTU: QĐ-BTCTU"))

    saved = ("code", "name", "name_en", "short_name", "level", "parent_id", "place", "document_symbol")


class CouncilForm(FlaskForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    body_id = SelectField(_l("Body"), coerce=optional_int, choices=[])

    saved = ("code", "name", "body_id")


class ClusterForm(FlaskForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice("cluster", _l("Cluster (by geography)")),
                                            SelectChoice("block", _l("Block (by sector)"))])
    council_id = SelectField(_l("Set up by the council"), coerce=optional_int, choices=[])
    member_ids = MultiCheckboxField(_l("Members"), coerce=int, choices=[])

    saved = ("code", "name", "kind", "council_id", "member_ids")


class UserForm(FlaskForm):
    username = StringField(_l("User name"))
    display_name = StringField(_l("Full name"))
    email = EmailField(_l("Email"), description=_l("Notifications are mailed here; leave empty for none."))
    person_id = SelectField(_l("Is this person"), coerce=optional_int, choices=[])

    saved = ("display_name", "email", "person_id")


class NewUserForm(UserForm):
    role = SelectField(_l("Role"), choices=[])
    scope = SelectField(_l("Where"), choices=[])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    scope = SelectField(_l("Where"), choices=[], description=_l("Unit roles are held in a body, council roles in "
                                                               "a council, cluster roles in a cluster; an "
                                                               "administrator everywhere."))
    valid_from = DateField(_l("From"), validators=[Optional()])
    valid_to = DateField(_l("Until"), validators=[Optional()])


class DelegationForm(FlaskForm):
    principal_id = SelectField(_l("Who delegates"), coerce=optional_int, choices=[])
    deputy_id = SelectField(_l("Who acts for them"), coerce=optional_int, choices=[])
    starts = DateField(_l("From"), validators=[Optional()])
    ends = DateField(_l("Until"), validators=[Optional()])
    note = StringField(_l("Note"))

    saved = ("principal_id", "deputy_id", "starts", "ends", "note")


class PeriodForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("e.g. 2027"))
    name = StringField(_l("Name"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice("year", _l("A year")),
                                            SelectChoice("movement", _l("A movement"))])
    year = IntegerField(_l("Year"), validators=[Optional()])
    starts = DateField(_l("Starts"), validators=[Optional()])
    ends = DateField(_l("Ends"), validators=[Optional()])
    submission_opens = DateField(_l("Submissions open"), validators=[Optional()])
    submission_closes = DateField(_l("Submissions close"), validators=[Optional()])

    saved = ("code", "name", "kind", "year", "starts", "ends", "submission_opens", "submission_closes")


class ImportForm(FlaskForm):
    file = FileField(_l("Organisation file"), description=_l(".yaml or .xlsx as exported, or one section's .csv "
                                                            "named after it (bodies.csv, people.csv, …)"))
    dry_run = BooleanField(_l("Only check, and show what would change"))
