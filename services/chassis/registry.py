"""Every Tongban service, once: the table config, auth, notify, identity, the gateway, deploy and the tests read.

Adding a service is one entry here plus its folder and protos (docs/adding-a-service.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Agency:
    """A kind of staff agency; ``suffix`` is the pattern of what follows ``KIND:`` (a region, a branch)."""

    kind: str
    suffix: str | None = None

    @property
    def pattern(self) -> str:
        return f"{self.kind}:{self.suffix}" if self.suffix else self.kind


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    # The gRPC port in dev; in Kubernetes every service listens on its own pod.
    port: int
    # The REST prefix of its routes at the gateway.
    rest_area: str
    title: str
    # The system scope an access token carries to act in it; None for the platform's own services.
    scope: str | None = None
    # The staff agencies that work in it, and how its refusals name them (仅限…工作人员操作).
    agencies: tuple[Agency, ...] = ()
    staff_title: str = "本系统主管部门"
    # Whether it sends notices through notify (a template's code starts with its name).
    sends_notices: bool = True
    # Whether it issues signed certificates: its server holds a signer key (a Secret of its own in Kubernetes).
    issues_certificates: bool = False
    # Long-running subcommands besides ``serve`` and ``relay``.
    workers: tuple[str, ...] = ()
    # Setup subcommands after migrating, in order (`make run`, a seed Job in Kubernetes); idempotent.
    seeds: tuple[str, ...] = ()
    # Scheduled one-shot subcommands and how often they run, in seconds (a CronJob each in Kubernetes).
    schedule: tuple[tuple[tuple[str, ...], int], ...] = ()

    @property
    def env_prefix(self) -> str:
        return self.name.upper()


# Every service's audit rows past AUDIT_RETENTION_DAYS go once a day (services/chassis/audit.py).
PURGE_AUDIT = (("purge-audit",), 86400)

REGISTRY: tuple[ServiceSpec, ...] = (
    ServiceSpec("identity", 50051, "/v1/identity", "统一身份认证", seeds=("ensure-admin", "seed-demo"),
                schedule=(PURGE_AUDIT,)),
    ServiceSpec("notify", 50052, "/v1/notify", "消息通知", sends_notices=False, workers=("consume",),
                seeds=("seed-templates",), schedule=(PURGE_AUDIT,)),
    ServiceSpec("rare_earth", 50053, "/v1/rare-earth", "稀土产品追溯", scope="rare_earth",
                agencies=(Agency("MIIT_RE_OFFICE"), Agency("RE_OPERATOR"), Agency("GROUP_COMPANY"),
                          Agency("LOCAL_AUTHORITY", r"\d{6}")), staff_title="稀土办、运营机构或地方主管部门",
                seeds=("seed-reference",),
                # After a reporting window closes: cases for missing ledgers, purchases reconciled with sales.
                schedule=((("jobs",), 600), PURGE_AUDIT)),
    ServiceSpec("inspection", 50054, "/v1/inspection", "进口旧机电产品装运前检验", scope="inspection",
                agencies=(Agency("CUSTOMS", r"\w{2,12}"),), staff_title="海关", seeds=("seed-reference", "seed-demo"),
                # Not-recognised periods that have run out end, and the institution is told.
                schedule=((("jobs",), 3600), PURGE_AUDIT)),
    ServiceSpec("ccc_exemption", 50055, "/v1/ccc", "免于CCC认证", scope="ccc_exemption", issues_certificates=True,
                # The CIQ bureau's posts decide; customs ports write certificates off.
                agencies=(Agency("CNCA"), Agency("CIQ", r"\w{2,12}"), Agency("CUSTOMS", r"\w{2,12}")),
                staff_title="认监委、检验检疫局或海关",
                seeds=("seed-reference",),
                # Drafts are deleted ten days after they were first saved.
                schedule=((("jobs",), 3600), PURGE_AUDIT)),
    ServiceSpec("origin_cert", 50056, "/v1/origin", "原产地证书", scope="origin_cert", issues_certificates=True,
                # CCPIT branches pre-review and issue; customs users check certificates with more fields.
                agencies=(Agency("CCPIT", r"\w{1,32}"), Agency("CUSTOMS", r"\w{2,12}")), staff_title="贸促会或海关",
                seeds=("seed-reference",), schedule=(PURGE_AUDIT,)),
)

SERVICES: tuple[str, ...] = tuple(spec.name for spec in REGISTRY)
DEFAULT_PORTS: dict[str, int] = {spec.name: spec.port for spec in REGISTRY}
# The systems an enterprise member can be authorised for (授权管理).
SYSTEM_SCOPES: tuple[str, ...] = tuple(spec.scope for spec in REGISTRY if spec.scope)
# The systems that send notices: a template or an announcement belongs to one of them.
NOTICE_SYSTEMS: tuple[str, ...] = tuple(spec.name for spec in REGISTRY if spec.sends_notices)


def spec(name: str) -> ServiceSpec:
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise LookupError(f"no service {name!r} in the registry")


def _agencies() -> dict[str, Agency]:
    return {agency.kind: agency for entry in REGISTRY for agency in entry.agencies}


# Every valid agency name, such as ``MIIT_RE_OFFICE``, ``LOCAL_AUTHORITY:110000`` or ``CUSTOMS:0100``.
AGENCY_NAME = re.compile("|".join(f"(?:{agency.pattern})" for agency in _agencies().values()))


def agency_examples() -> tuple[str, ...]:
    """How each kind of agency is written, for a message that lists them."""
    return tuple(f"{a.kind}:<代码>" if a.suffix else a.kind for a in _agencies().values())


def systems_of_agency(agency: str) -> tuple[str, ...]:
    """The systems an agency (``CUSTOMS:0100`` or ``MIIT_RE_OFFICE``) works in."""
    kind = agency.split(":", 1)[0]
    return tuple(entry.scope for entry in REGISTRY
                 if entry.scope and any(a.kind == kind for a in entry.agencies))
