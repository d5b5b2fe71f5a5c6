"""The origin_cert service's own schema, one module per resource; every mapped class is importable from here."""

from services.origin_cert.models.base import ATTACHMENTS, Base, RecordStep
from services.origin_cert.models.certificates import Certificate, CertificateGood, LostReissue, NumberCounter
from services.origin_cert.models.enterprises import BranchMigration, Enterprise
from services.origin_cert.models.exchange import (
    Party,
    Questionnaire,
    QuestionnaireAnswer,
    Verification,
)
from services.origin_cert.models.pre_reviews import Material, PreReview, Reminder
from services.origin_cert.models.reference import (
    Agreement,
    AgreementMember,
    Branch,
    Country,
    HsCorrelation,
    HsItem,
    TariffRate,
    TariffVersion,
)

__all__ = [
    "ATTACHMENTS", "Agreement", "AgreementMember", "Base", "Branch", "BranchMigration", "Certificate",
    "CertificateGood", "Country", "Enterprise", "HsCorrelation", "HsItem", "LostReissue", "Material",
    "NumberCounter", "Party", "PreReview", "Questionnaire", "QuestionnaireAnswer", "RecordStep", "Reminder",
    "TariffRate", "TariffVersion", "Verification",
]
