"""The logo form: one file field (what it holds is judged by images/logos.py, not by its name)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logotyp"),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )


class RemoveLogoForm(FlaskForm):
    """Only its CSRF token."""
