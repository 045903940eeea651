"""Pure case-management rules: risk levels, measures, guidance, who may see a case.

Nothing here knows a database, the web or video; services compose these rules in one transaction.
"""
