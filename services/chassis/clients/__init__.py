"""The platform services every service calls: identity (who, and who may) and notify (tell someone).

The only place the chassis speaks another service's contract; the rest of it knows no service.
"""
