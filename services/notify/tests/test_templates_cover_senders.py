"""Every template a service sends is seeded, takes the params it is sent with, and has wording for its channels.

The sent codes are read from the services' sources: ``template=`` arguments and assignments,
the first argument of rare_earth's notice helpers, identity's verification-code purposes and
the ``events.TEMPLATES`` (code -> params) a service declares.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from dataclasses import dataclass, replace

from services.chassis.config import REPO_ROOT
from services.chassis.context import build_context
from services.chassis.registry import NOTICE_SYSTEMS
from services.identity import domain as identity_domain
from services.identity.handlers.codes import TEMPLATE_PREFIX
from services.notify import domain, seed
from services.notify.context import NotifyContext
from services.notify.handlers.templates import TemplateText, current_wording, save_version
from services.notify.templates import all_templates

SENDER_HELPERS = {"notice_to_organization", "notice_to_agencies", "system_notice_to_all", "notification_request"}


@dataclass(frozen=True)
class Sent:
    code: str
    channels: tuple[str, ...] | None  # None: not written out where it is sent
    where: str


def _constant_strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constant_strings(node.body) + _constant_strings(node.orelse)
    return []


def _channels(call: ast.Call) -> tuple[str, ...] | None:
    for keyword in call.keywords:
        if keyword.arg == "channels":
            if isinstance(keyword.value, ast.List | ast.Tuple):
                values = [v for e in keyword.value.elts for v in _constant_strings(e)]
                return tuple(values) if len(values) == len(keyword.value.elts) else None
            return None
    # rare_earth's notice helpers send in the inbox unless told otherwise.
    helpers = ("notice_to_organization", "notice_to_agencies", "system_notice_to_all")
    return ("IN_SITE",) if _name(call) in helpers else None


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def sent_by_sources() -> list[Sent]:
    found: list[Sent] = []
    for system in NOTICE_SYSTEMS:
        for path in sorted((REPO_ROOT / "services" / system).rglob("*.py")):
            if "tests" in path.parts:
                continue
            where = str(path.relative_to(REPO_ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    codes = [c for k in node.keywords if k.arg == "template" for c in _constant_strings(k.value)]
                    if _name(node) in SENDER_HELPERS and node.args:
                        codes += _constant_strings(node.args[0])
                    found += [Sent(code, _channels(node), where) for code in codes]
                elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "template"
                                                          for t in node.targets):
                    found += [Sent(code, None, where) for code in _constant_strings(node.value)]
    found += [Sent(TEMPLATE_PREFIX + p.lower(), None, "identity purposes") for p in identity_domain.PURPOSES]
    found += [Sent(code, None, f"{system} events.TEMPLATES") for system, declared in declared_params().items()
              for code in declared]
    return found


def declared_params() -> dict[str, dict[str, object]]:
    """system -> {template code: the params it sends}, for each service whose events module declares them."""
    declared = {}
    for system in NOTICE_SYSTEMS:
        name = f"services.{system}.events"
        if importlib.util.find_spec(name) is not None and hasattr(module := importlib.import_module(name),
                                                                   "TEMPLATES"):
            declared[system] = dict(module.TEMPLATES)
    return declared


def _seeded() -> dict[str, TemplateText]:
    return {text.code: text for text in all_templates()}


def _wording(text: TemplateText) -> domain.TemplateWording:
    return domain.TemplateWording(code=text.code, version=1, sms_text=text.sms_text,
                                  email_subject=text.email_subject, email_body=text.email_body,
                                  inbox_title=text.inbox_title, inbox_body=text.inbox_body)


def test_the_scan_finds_the_senders_it_is_meant_to_check():
    codes = {sent.code for sent in sent_by_sources()}
    assert {"identity.agent.applied", "identity.account.deleted", "identity.verification_code.change_email",
            "rare_earth.registration.approved", "rare_earth.case.assigned"} <= codes


def test_every_template_a_service_sends_is_seeded():
    seeded = _seeded()
    missing = sorted({f"{sent.code} ({sent.where})" for sent in sent_by_sources() if sent.code not in seeded})
    assert not missing, f"sent but not seeded by services/notify/templates/: {missing}"


def test_every_channel_a_template_is_sent_on_has_wording():
    seeded = _seeded()
    gaps = sorted({f"{sent.code}: {channel} ({sent.where})" for sent in sent_by_sources()
                   if sent.code in seeded and sent.channels
                   for channel in sent.channels if not _wording(seeded[sent.code]).supports(channel)})
    assert not gaps, f"sent on a channel its template has no wording for: {gaps}"


def test_declared_params_fill_their_templates_exactly():
    seeded = _seeded()
    declared = declared_params()
    assert "rare_earth" in declared
    for code, params in ((c, p) for system in declared.values() for c, p in system.items()):
        needed = set(_wording(seeded[code]).all_placeholders())
        assert needed <= set(params), f"{code} needs {sorted(needed - set(params))} which rare_earth does not send"
        assert needed == set(params), f"{code} ignores params {sorted(set(params) - needed)}"


def test_verification_code_templates_need_only_the_code_and_its_lifetime():
    seeded = _seeded()
    for purpose in identity_domain.PURPOSES:
        text = seeded[TEMPLATE_PREFIX + purpose.lower()]
        assert set(_wording(text).all_placeholders()) == {"code", "minutes"}
        assert text.sms_text and text.email_body


def _context(database_url: str) -> NotifyContext:
    from services.chassis.cli import migrate
    from services.notify.definition import DEFINITION

    context = build_context(DEFINITION, environ={"TONGBAN_ENV": "test", "NOTIFY_DATABASE_URL": database_url})
    migrate(DEFINITION, context)
    return context


def test_reseeding_updates_seeded_wording_but_keeps_an_admins_edit(postgres_database):
    context = _context(postgres_database("notify_seed"))
    signature = context.config.sms_signature
    try:
        assert seed.seed_templates(context) == len(all_templates())
        assert seed.seed_templates(context) == 0
        approved, login = "rare_earth.registration.approved", "identity.verification_code.login"
        with context.unit_of_work() as uow:
            # An older seed said something else; an admin reworded the login code.
            save_version(uow.session, replace(_seeded()[approved], inbox_body="旧的{enterpriseName}"),
                         seed.SEED_AUTHOR, signature)
            save_version(uow.session, replace(_seeded()[login], sms_text="验证码{code}，{minutes}分钟"),
                         "admin0001", signature)
            uow.commit()
        assert seed.seed_templates(context) == 1
        with context.unit_of_work(read_only=True) as uow:
            assert current_wording(uow.session, approved).inbox_body == _seeded()[approved].inbox_body
            assert current_wording(uow.session, login).sms_text == "验证码{code}，{minutes}分钟"
    finally:
        context.engine.dispose()
