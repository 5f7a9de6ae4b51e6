"""Word lists for synthetic (fictional) organisations, people and places.

Every organisation and person made from these lists is invented. The names are common
given and family names of gold-mining regions, combined at random, so no row describes a
real person; organisation names say "(synthetic)".
"""

GIVEN_FEMALE = (
    "Ana Lucía",
    "Yuliana",
    "Marisol",
    "Dora",
    "Esperanza",
    "Nelly",
    "Claudia",
    "Maritza",
    "Olga",
    "Rubiela",
    "Eunice",
    "Zulay",
    "Teresa",
    "Nancy",
    "Liliana",
    "Aracely",
)
GIVEN_MALE = (
    "Jairo",
    "Wilson",
    "Hernán",
    "Fredy",
    "Arley",
    "Néstor",
    "Libardo",
    "Eusebio",
    "Orlando",
    "Edinson",
    "Yeison",
    "Alcides",
    "Ramiro",
    "Gilberto",
    "Fabio",
    "Dairo",
)
FAMILY = (
    "Cuesta",
    "Mena",
    "Lozano",
    "Rivas",
    "Chaverra",
    "Ibargüen",
    "Caicedo",
    "Guerrero",
    "Salas",
    "Moya",
    "Bonilla",
    "Zapata",
    "Arboleda",
    "Cuero",
    "Quiñones",
    "Sinisterra",
    "Angulo",
    "Orobio",
    "Hurtado",
    "Lemos",
    "Borja",
    "Cossio",
    "Valoyes",
    "Sánchez",
)
# Mining regions of the synthetic federation: (region, longitude, latitude) of a centre
# inside Colombia's box; sites are scattered up to 0.3° around it.
REGIONS = (
    ("Chocó", -76.65, 5.69),
    ("Antioquia", -74.70, 7.08),
    ("Bolívar", -74.10, 8.30),
    ("Nariño", -77.95, 1.62),
    ("Cauca", -77.00, 2.30),
    ("Caldas", -75.60, 5.40),
)
PLACE_WORDS = (
    "San Juan",
    "La Esperanza",
    "El Porvenir",
    "Quebrada Honda",
    "Río Claro",
    "Las Brisas",
    "El Tigre",
    "Santa Rita",
    "Nueva Unión",
    "Los Andes",
    "La Playa",
    "El Cajón",
)
LEGAL_FORMS = (
    ("cooperative", 60),
    ("association", 25),
    ("community_enterprise", 10),
    ("informal_group", 5),
)
GENDERS = (("female", 38), ("male", 56), ("other", 1), ("undisclosed", 5))
ROLES = (
    ("panner", 28),
    ("worker", 37),
    ("owner", 5),
    ("processor", 15),
    ("selector", 8),
    ("trader", 3),
    ("other", 4),
)
STATUSES = (
    ("approved", 74),
    ("applicant", 10),
    ("conditional", 8),
    ("suspended", 3),
    ("excluded", 1),
    ("left", 4),
)
MINING_METHODS = (("alluvial", 55), ("open_pit", 20), ("underground", 20), ("dredging", 5))
PROCESSING_METHODS = (("gravity", 60), ("amalgamation", 25), ("cyanidation", 10), ("none", 5))
