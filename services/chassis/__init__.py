"""What every Tongban service shares: config, gRPC serving, auth, data, messaging, discovery.

No domain logic lives here.
"""
