"""`batea members import FILE --org ORG` and `batea members template --org ORG --out FILE`."""

from batea.fielddata.cli import records_command

Command = records_command("members")
