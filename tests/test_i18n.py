"""Everything a person reads is translated into Spanish and French."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "batea" / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def test_spanish_and_french_catalogues_exist():
    assert {path.parts[-3] for path in CATALOGUES} == {"es", "fr"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_placeholders_survive_translation(path):
    import re

    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    for entry in polib.pofile(str(path)).translated_entries():
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        for translation in filter(None, translations):
            assert set(placeholder.findall(entry.msgid)) == set(placeholder.findall(translation)), (
                entry.msgid
            )


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogues_match_their_sources(path):
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    source = polib.pofile(str(path))
    assert {e.msgid: e.msgstr for e in compiled} == {
        e.msgid: e.msgstr for e in source.translated_entries()
    }, "run `make messages` (or python -m batea.i18n_compile)"


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    """Extract the messages afresh (gettext's xgettext, as `make messages` does) from a copy
    of the code and check that no string is missing from the catalogues."""
    import shutil
    import subprocess
    import sys

    assert shutil.which("xgettext"), "install gettext (apt-get install gettext)"
    copy = tmp_path / "batea"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "batea.test_settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(LOCALE.parent.parent),
        },
    )
    extracted = polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in extracted.untranslated_entries() + extracted.fuzzy_entries()]
    assert missing == [], "run `make messages` and translate these"
