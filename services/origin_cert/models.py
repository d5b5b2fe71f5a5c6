"""The origin_cert service's own schema."""

from sqlalchemy.orm import DeclarativeBase

from services.chassis.outbox import define_message_tables


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)
