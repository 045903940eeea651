"""The alert chain: incidents, who is told, on which channel, and who must answer by when."""
