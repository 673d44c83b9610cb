"""The saved-search form: a name, a rhythm, and the search page's own filter fields."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.alerts import services
from marketplace.alerts.labels import RHYTHM_CHOICE_LABELS
from marketplace.alerts.models import Rhythm, SavedSearch
from marketplace.forms import single_line
from marketplace.search.forms import AdSearchForm


class SavedSearchForm(AdSearchForm):
    """Save or edit a search. The filters are the search form's fields, with the same names,
    so /bevakningar/ny?<the search page's query string> arrives filled in.

    On GET it reads `formdata` (the query string for a new search, nothing when editing);
    on POST the posted form, with a CSRF token like every other POST form.
    """

    name = StringField(
        _l("Namn på bevakningen"),
        validators=[
            DataRequired(_l("Ge bevakningen ett namn.")),
            Length(
                max=services.NAME_MAX_LENGTH,
                message=_l("Namnet får vara högst %(max)d tecken."),
            ),
        ],
        filters=[single_line],
        render_kw={"maxlength": services.NAME_MAX_LENGTH},
    )
    rhythm = RadioField(
        _l("Hur ofta vill du få e-post?"),
        choices=[
            SelectChoice(rhythm.value, label) for rhythm, label in RHYTHM_CHOICE_LABELS.items()
        ],
        default=Rhythm.DAILY.value,
        validators=[InputRequired(_l("Välj hur ofta du vill få e-post."))],
    )

    def __init__(self, formdata=None, saved_search: SavedSearch | None = None, **kwargs) -> None:
        if request.method == "POST":
            formdata = request.form
        if saved_search is not None and formdata is None:
            kwargs["data"] = {
                "q": "",
                **services.search_args(services.query_of(saved_search)),
                "name": saved_search.name,
                "rhythm": saved_search.rhythm.value,
            }
        # meta={} undoes the search form's `csrf: False`: this form is posted.
        super().__init__(formdata=formdata, meta={}, **kwargs)

    def suggest_name(self) -> None:
        """A new saved search is called by its summary until the user names it."""
        if not self.name.data:
            self.name.data = services.default_name(self.to_query())

    def saved_search_fields(self) -> dict:
        """Keyword arguments for services.save_search / update_saved_search."""
        return {
            "name": self.name.data or "",
            "rhythm": Rhythm(self.rhythm.data),
            "query": self.to_query(),
        }

    def hidden_filters(self) -> list[tuple[str, str]]:
        """The filters as (name, value) pairs, for hidden inputs when they are not edited here."""
        pairs: list[tuple[str, str]] = []
        for name, value in services.search_args(self.to_query()).items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, item))
        return pairs


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (deleting a saved search)."""
