"""The one identity client, against a real gRPC stand-in: plain values out, Unavailable when identity is away."""

from __future__ import annotations

import pytest

from services.chassis.clients.identity import Contact, IdentityClient, RecipientQuery
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import ChannelFactory
from services.chassis.testing import free_port
from services.chassis.testing.identity import IdentityStandIn, StandInAccount


@pytest.fixture
def identity():
    stand_in = IdentityStandIn(accounts=[
        StandInAccount("owner", phone="13900000001", organization_id="org-1", role="OWNER"),
        StandInAccount("agent", phone="13900000002", organization_id="org-1", scopes=("rare_earth",)),
        StandInAccount("other", phone="13900000003", organization_id="org-1"),
        StandInAccount("desk", email="desk@example.cn", agency="CUSTOMS:0100"),
    ]).start()
    stand_in.add_organization("org-1", "赣州稀土", "91360700MA35XXXX1A")
    yield stand_in
    stand_in.stop()


def client_of(address: str) -> IdentityClient:
    return IdentityClient(ChannelFactory.static({"identity": address}), timeout=2.0)


def test_an_organisation_resolves_to_its_owner_and_the_members_holding_the_scope(identity):
    contacts = client_of(identity.address).resolve_recipients(
        [RecipientQuery(organization_id="org-1", scope="rare_earth"), RecipientQuery(agency="CUSTOMS:0100")])
    assert {c.account_id for c in contacts} == {"owner", "agent", "desk"}
    assert all(isinstance(c, Contact) for c in contacts)


def test_organisations_are_answered_as_plain_summaries_and_unknown_ids_left_out(identity):
    [found] = client_of(identity.address).organizations(["org-1", "nobody", ""])
    assert (found.id, found.name, found.uscc) == ("org-1", "赣州稀土", "91360700MA35XXXX1A")


def test_scope_checks_and_audience_pages_come_back_as_values(identity):
    client = client_of(identity.address)
    assert client.check_scope("agent", "org-1", "rare_earth").allowed
    assert client.check_scope("other", "org-1", "rare_earth").reason == "SCOPE_NOT_GRANTED"
    first, token = client.audience("ALL", page_size=3)
    rest, last = client.audience("ALL", page_size=3, page_token=token)
    assert len(first) == 3 and len(rest) == 1 and last == ""


def test_the_jwks_is_the_published_key_set(identity):
    keys = client_of(identity.address).jwks()["keys"]
    assert [k["kid"] for k in keys] == [identity.minter.kid]


def test_an_unreachable_identity_is_unavailable_so_the_caller_may_retry():
    with pytest.raises(Unavailable) as refused:
        client_of(f"127.0.0.1:{free_port()}").resolve_recipients([RecipientQuery(account_id="a")])
    assert refused.value.reason == "IDENTITY_UNAVAILABLE"


def test_nothing_to_resolve_asks_identity_nothing():
    assert client_of(f"127.0.0.1:{free_port()}").resolve_recipients([]) == []
