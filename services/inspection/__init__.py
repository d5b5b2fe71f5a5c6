"""GACC pre-shipment inspection of imported used electromechanical products."""
