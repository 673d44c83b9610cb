"""Every domain's background tasks, imported in one place so the worker registers them all."""
from marketplace.alerts import tasks as alert_tasks  # noqa: F401
from marketplace.insights import tasks as insight_tasks  # noqa: F401
from marketplace.matching import tasks as matching_tasks  # noqa: F401
from marketplace.notifications import tasks as notification_tasks  # noqa: F401
from marketplace.privacy import tasks as privacy_tasks  # noqa: F401
