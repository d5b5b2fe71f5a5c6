"""Tongban's services: the chassis they share and one package per agency system."""
