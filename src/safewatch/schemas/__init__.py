"""Request and response schemas of the API; never the ORM tables themselves."""
