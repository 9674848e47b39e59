"""Accounts and agreement tables (the engine's own tables are in app/engine/models.py)."""
from app.models.agreement import (  # noqa: F401
    Agreement,
    AgreementDocument,
    Counter,
    EvidenceEntry,
)
from app.models.user import (  # noqa: F401
    College,
    CounselorScope,
    Employer,
    Major,
    OperationLog,
    Student,
    User,
    UserRole,
)
