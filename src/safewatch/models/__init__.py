"""ORM tables. Import every module so the metadata is complete for migrations."""

from safewatch.models.access import AccessEnded
from safewatch.models.audit import AuditEntry, AuditHead
from safewatch.models.cases import (
    AllowedPerson,
    AllowedPersonPhoto,
    Case,
    CaseCounter,
    EngagementTask,
    HouseholdMember,
    Measure,
    Offender,
    OffenderPhoto,
    ProtectedPerson,
    ProtectionOrder,
    RiskAssessment,
)
from safewatch.models.events import CameraEventRecord, FaceThresholdChange
from safewatch.models.fund import Fund, FundEntry
from safewatch.models.incidents import (
    Delivery,
    GuardPosition,
    Incident,
    IncidentEntry,
    IncidentFix,
    IncidentRecipient,
    PushSubscription,
)
from safewatch.models.people import Agency, LoginToken, SignInFailures, User
from safewatch.models.resources import (
    CameraSetup,
    Device,
    DeviceAssignment,
    DeviceCredential,
    PatrolLog,
    PatrolPlan,
    RelocationStep,
    SitePlan,
    Stay,
)

__all__ = [
    "AccessEnded",
    "Agency",
    "AllowedPerson",
    "AllowedPersonPhoto",
    "AuditEntry",
    "AuditHead",
    "CameraEventRecord",
    "CameraSetup",
    "Case",
    "CaseCounter",
    "Delivery",
    "Device",
    "DeviceAssignment",
    "DeviceCredential",
    "EngagementTask",
    "FaceThresholdChange",
    "Fund",
    "FundEntry",
    "GuardPosition",
    "HouseholdMember",
    "Incident",
    "IncidentEntry",
    "IncidentFix",
    "IncidentRecipient",
    "LoginToken",
    "Measure",
    "Offender",
    "OffenderPhoto",
    "PatrolLog",
    "PatrolPlan",
    "ProtectedPerson",
    "ProtectionOrder",
    "PushSubscription",
    "RelocationStep",
    "RiskAssessment",
    "SignInFailures",
    "SitePlan",
    "Stay",
    "User",
]
