"""`batea licences import FILE --org ORG` and `batea licences template --org ORG --out FILE`."""

from batea.fielddata.cli import records_command

Command = records_command("licences")
