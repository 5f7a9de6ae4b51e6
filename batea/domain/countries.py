"""Countries: ISO 3166-1 alpha-2 codes and rough bounding boxes for plausibility checks."""

import pycountry

# Approximate (west, south, east, north) boxes of countries where artisanal mining is common,
# padded when used. They catch swapped or wildly wrong coordinates; a point inside a box can
# still lie outside the country. Countries without a box are not checked.
BOUNDING_BOXES: dict[str, tuple[float, float, float, float]] = {
    "BF": (-5.6, 9.4, 2.5, 15.1),
    "BI": (28.9, -4.5, 30.9, -2.3),
    "BO": (-69.7, -23.0, -57.4, -9.6),
    "BR": (-74.0, -33.8, -34.7, 5.3),
    "CD": (12.1, -13.5, 31.4, 5.4),
    "CF": (14.4, 2.2, 27.5, 11.0),
    "CI": (-8.6, 4.3, -2.5, 10.8),
    "CM": (8.4, 1.6, 16.2, 13.1),
    "CO": (-82.0, -4.3, -66.8, 13.5),
    "EC": (-92.1, -5.1, -75.1, 1.7),
    "ET": (32.9, 3.4, 48.0, 14.9),
    "GH": (-3.3, 4.7, 1.3, 11.2),
    "GN": (-15.1, 7.2, -7.6, 12.7),
    "GY": (-61.4, 1.1, -56.4, 8.6),
    "HN": (-89.4, 12.9, -83.1, 17.5),
    "ID": (95.0, -11.1, 141.1, 6.1),
    "KE": (33.9, -4.8, 42.0, 5.1),
    "LR": (-11.5, 4.3, -7.3, 8.6),
    "MG": (43.1, -25.7, 50.6, -11.9),
    "ML": (-12.3, 10.1, 4.3, 25.0),
    "MM": (92.1, 9.7, 101.2, 28.6),
    "MN": (87.7, 41.5, 120.0, 52.2),
    "MX": (-118.5, 14.5, -86.7, 32.8),
    "MZ": (30.2, -26.9, 40.9, -10.4),
    "NE": (0.1, 11.6, 16.0, 23.6),
    "NG": (2.6, 4.2, 14.7, 13.9),
    "NI": (-87.7, 10.7, -82.6, 15.1),
    "PE": (-81.4, -18.4, -68.6, 0.0),
    "PG": (140.8, -11.7, 156.0, -0.8),
    "PH": (116.9, 4.5, 126.7, 21.2),
    "RW": (28.8, -2.9, 31.0, -1.0),
    "SD": (21.8, 8.6, 38.7, 22.3),
    "SL": (-13.4, 6.9, -10.2, 10.0),
    "SN": (-17.6, 12.3, -11.3, 16.7),
    "SR": (-58.1, 1.8, -53.9, 6.1),
    "TZ": (29.3, -11.8, 40.5, -0.9),
    "UG": (29.5, -1.5, 35.1, 4.3),
    "VE": (-73.4, 0.6, -59.7, 12.3),
    "ZM": (21.9, -18.1, 33.8, -8.2),
    "ZW": (25.2, -22.5, 33.1, -15.6),
}
BOX_PADDING_DEGREES = 0.5


def is_country_code(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code in upper case, e.g. "CO"."""
    return (
        isinstance(code, str)
        and len(code) == 2
        and code.isupper()
        and pycountry.countries.get(alpha_2=code) is not None
    )


def country_name(code: str) -> str:
    """English short name of a country code, or the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    return country.name if country else code


def point_in_country_box(lon: float, lat: float, code: str) -> bool | None:
    """Whether (lon, lat) lies in the country's padded box; None when no box is known."""
    box = BOUNDING_BOXES.get(code)
    if box is None:
        return None
    west, south, east, north = box
    pad = BOX_PADDING_DEGREES
    return west - pad <= lon <= east + pad and south - pad <= lat <= north + pad
