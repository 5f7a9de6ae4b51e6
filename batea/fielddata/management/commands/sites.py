"""`batea sites import FILE --org ORG` and `batea sites template --org ORG --out FILE`."""

from batea.fielddata.cli import records_command

Command = records_command("sites")
