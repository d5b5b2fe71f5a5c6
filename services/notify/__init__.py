"""Notify: SMS, e-mail and in-site messages and announcements, fanned out from RabbitMQ."""
