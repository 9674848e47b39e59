"""SQLAlchemy models. Import every model module here so Alembic sees the whole schema."""
from app.models.user import (  # noqa: F401
    College, CounselorScope, Employer, Major, OperationLog, Student, User, UserRole,
)
from app.models.engine import (  # noqa: F401
    HistoryEvent,
    Incident,
    Job,
    MessageSubscription,
    OpenTask,
    OpenTaskOwner,
    ProcessDefinition,
    ProcessInstance,
    TaskDraft,
    Timer,
)
from app.models.agreement import (  # noqa: F401
    Agreement, AgreementDocument, Counter, EvidenceEntry,
)
