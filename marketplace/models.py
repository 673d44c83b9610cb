"""Every domain's models, imported in one place so Alembic and the ORM see all tables."""

from marketplace.accounts.models import LoginSession, User  # noqa: F401
from marketplace.ads.models import Ad, AdChallenge  # noqa: F401
from marketplace.agreements.models import Agreement, Signatory  # noqa: F401
from marketplace.alerts.models import SavedSearch, SavedSearchChallenge, SentAlert  # noqa: F401
from marketplace.contact.models import Conversation, ConversationRead, Message  # noqa: F401
from marketplace.crises.models import (  # noqa: F401
    Crisis,
    CrisisAlert,
    CrisisAlertAd,
    CrisisAlertSetting,
    CrisisCounty,
)
from marketplace.images.models import OrganisationLogo  # noqa: F401
from marketplace.insights.models import Outcome, OutcomeRequest  # noqa: F401
from marketplace.matching.models import MatchNotice  # noqa: F401
from marketplace.moderation.models import CountyModerator, ModerationAction, Report  # noqa: F401
from marketplace.notifications.models import OutboxEmail  # noqa: F401
from marketplace.organisations.models import (  # noqa: F401
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationChallenge,
    PublicBodyDomain,
    VerificationApplication,
)
from marketplace.partnerships.models import (  # noqa: F401
    Partnership,
    PartnershipApproval,
    PartnershipVersion,
)
from marketplace.search.models import SearchChange  # noqa: F401
from marketplace.submissions import Submission  # noqa: F401
