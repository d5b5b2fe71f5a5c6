"""Identity: one account for every system — organisations, agents and their authorisations, login, tokens."""
