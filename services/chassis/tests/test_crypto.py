"""Personal data at rest: encrypted per purpose, found by keyed hashes, read back only with the service's key."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.chassis.config import ConfigError, Env
from services.chassis.crypto import DEV_SECRET_KEY, CipherSlot, Encrypted, FieldCipher, secret_key

KEY = "a-service-secret-key-for-tests"
SLOT = CipherSlot("testing")


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    id_number: Mapped[str] = mapped_column(Encrypted(SLOT, "id-number"))


def test_a_value_decrypts_only_for_the_purpose_and_the_key_it_was_encrypted_with():
    cipher = FieldCipher(KEY, "tongban-testing")
    blob = cipher.encrypt("110101199003077777", "id-number")
    assert b"110101199003077777" not in blob
    assert cipher.decrypt(blob, "id-number") == "110101199003077777"
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, "passport")
    with pytest.raises(InvalidTag):
        FieldCipher(KEY, "tongban-other").decrypt(blob, "id-number")


def test_lookup_hashes_find_a_value_without_revealing_it_and_differ_between_services():
    one, other = FieldCipher(KEY, "tongban-a"), FieldCipher(KEY, "tongban-b")
    assert one.lookup_hash("C01X00T47") == one.lookup_hash("C01X00T47") != other.lookup_hash("C01X00T47")
    # The derivation is HMAC-SHA256 of "namespace:label": data written before this module existed still reads.
    expected = hmac.new(KEY.encode(), b"tongban-a:lookup", hashlib.sha256).digest()
    assert one.lookup_hash("x") == hmac.new(expected, b"x", hashlib.sha256).hexdigest()


def test_an_encrypted_column_holds_only_ciphertext_and_reads_back_plain():
    SLOT.use(FieldCipher(KEY, "tongban-testing"))
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Person(id="p1", id_number="E12345678"))
        session.commit()
        stored = session.execute(text("SELECT id_number FROM people")).scalar_one()
        assert b"E12345678" not in stored
        assert session.scalar(select(Person.id_number)) == "E12345678"


def test_the_secret_key_has_a_published_value_in_dev_only_and_a_minimum_length():
    assert secret_key(Env({"TONGBAN_ENV": "dev"}), "TESTING_SECRET_KEY") == DEV_SECRET_KEY
    env = Env({"TONGBAN_ENV": "prod", "OTHER_SECRET_KEY": "short"})
    secret_key(env, "TESTING_SECRET_KEY")
    secret_key(env, "OTHER_SECRET_KEY")
    with pytest.raises(ConfigError) as refused:
        env.check()
    assert refused.value.problems == ["TESTING_SECRET_KEY is required but not set",
                                      "OTHER_SECRET_KEY must be at least 16 characters"]


def test_production_refuses_the_published_development_key_set_explicitly():
    env = Env({"TONGBAN_ENV": "prod", "TESTING_SECRET_KEY": DEV_SECRET_KEY})
    secret_key(env, "TESTING_SECRET_KEY")
    with pytest.raises(ConfigError) as refused:
        env.check()
    assert refused.value.problems == [
        "TESTING_SECRET_KEY is the published development key: production needs a secret of its own"]
    assert secret_key(Env({"TONGBAN_ENV": "test", "TESTING_SECRET_KEY": DEV_SECRET_KEY}), "TESTING_SECRET_KEY")
