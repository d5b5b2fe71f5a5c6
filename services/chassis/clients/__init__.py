"""The platform services every service calls: identity (who, and who may) and notify (tell someone); and
rare_earth, which notify asks whom a notice's sender may address there.

The only place the chassis speaks another service's contract; the rest of it knows no service.
"""
