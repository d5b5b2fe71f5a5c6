"""The service registry: the one list every other list of services, scopes and agencies derives from."""

from __future__ import annotations

import importlib

from services.chassis import registry
from services.chassis.config import ServiceSettings
from services.chassis.context import ServiceDefinition


def test_every_service_has_its_own_port_rest_area_and_package():
    assert len(set(registry.DEFAULT_PORTS.values())) == len(registry.SERVICES)
    assert len({spec.rest_area for spec in registry.REGISTRY}) == len(registry.SERVICES)
    for spec in registry.REGISTRY:
        definition = importlib.import_module(f"services.{spec.name}.definition").DEFINITION
        assert isinstance(definition, ServiceDefinition) and definition.name == spec.name
        assert definition.versions_dir.is_dir()


def test_settings_know_every_peer_of_the_registry():
    settings = ServiceSettings.from_env("notify", {})
    assert set(settings.peers) == set(registry.SERVICES)
    assert settings.grpc_port == registry.spec("notify").port


def test_agency_names_follow_the_kinds_the_registry_lists():
    assert registry.AGENCY_NAME.fullmatch("LOCAL_AUTHORITY:110000")
    assert not registry.AGENCY_NAME.fullmatch("LOCAL_AUTHORITY:11")
    assert not registry.AGENCY_NAME.fullmatch("CUSTOMS")
    assert {"inspection", "ccc_exemption"} <= set(registry.systems_of_agency("CUSTOMS:0100"))
    assert registry.systems_of_agency("MIIT_RE_OFFICE") == ("rare_earth",)
    assert registry.systems_of_agency("NOBODY") == ()


def test_the_system_scopes_are_the_agency_systems_and_platform_services_have_none():
    assert registry.SYSTEM_SCOPES == ("rare_earth", "inspection", "ccc_exemption", "origin_cert")
    assert "notify" not in registry.NOTICE_SYSTEMS and "identity" in registry.NOTICE_SYSTEMS
