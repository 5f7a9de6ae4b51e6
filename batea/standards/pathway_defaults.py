"""The ladder Batea proposes by default (configurable in the admin): from the OECD risk
screen through the CRAFT-style market-entry code to the Fairmined-style standard and its
ecological variant."""

DEFAULT_LADDER = {
    "code": "gold-ladder",
    "title": {
        "en": "Responsible gold ladder",
        "es": "Escalera del oro responsable",
        "fr": "Échelle de l'or responsable",
    },
    "rungs": [
        {"standard": "oecd-annex-ii-risk-screen", "level": "risks-under-mitigation"},
        {"standard": "craft-style-market-entry", "level": "mitigation-committed"},
        {"standard": "craft-style-market-entry", "level": "progressive-improvement"},
        {"standard": "fairmined-style-progressive", "level": "entry"},
        {"standard": "fairmined-style-progressive", "level": "certified"},
        {"standard": "fairmined-style-progressive", "level": "certified-ecological"},
    ],
}
