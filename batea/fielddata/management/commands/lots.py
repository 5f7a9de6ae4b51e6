"""`batea lots import FILE --org ORG --user USER` and `batea lots template --org ORG --out FILE`."""

from batea.fielddata.cli import records_command

Command = records_command("lots")
