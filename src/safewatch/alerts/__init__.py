"""The alert runtime: deliveries sent on their channels, receipts recorded, deadlines and
silent devices watched, events taken in (the rules it follows are in ``incidents/``)."""
