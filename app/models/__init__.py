"""SQLAlchemy models. Import every model module here so Alembic sees the whole schema."""
from app.models.user import User, UserRole  # noqa: F401
from app.models.engine import (  # noqa: F401
    HistoryEvent,
    Incident,
    Job,
    MessageSubscription,
    OpenTask,
    OpenTaskOwner,
    ProcessDefinition,
    ProcessInstance,
    Timer,
)
