"""Group certification rules: member risk, external-audit sampling, sanctions, ICS reliability.

Plain Python on plain data, as the rest of the domain.
"""
