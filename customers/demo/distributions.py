"""The distributions demo customers are drawn from, as tables.

Names, mail domains, markets, age bands, platforms, acquisition types,
campaigns, referrers, ratings and prices, with their weights and chances;
``customers.demo.generator`` draws from them. Weights are relative (they need
not add up to 100); chances are probabilities from 0 to 1.
"""

# Every demo customer's address ends with this (the mail domains below):
# a re-run deletes exactly these customers.
DEMO_EMAIL_SUFFIX = ".demo.example"

# Chance that a customer acquired the first, second, third… demo app.
APP_ACQUISITION_CHANCES = (0.9, 0.45, 0.3)
LATER_APP_ACQUISITION_CHANCE = 0.2
OTHER_APP_ACQUISITION_CHANCE = 0.1

ACQUISITION_DAYS = 730
# Store page views happen up to this many days before the acquisition.
MAX_STORE_PAGE_LEAD_DAYS = 90

FIRST_NAMES = (
    "lea", "emma", "chloe", "manon", "camille", "ines", "sarah", "julie",
    "lucas", "hugo", "louis", "nathan", "thomas", "arthur", "jules", "paul",
    "olivia", "ava", "mia", "sophia", "isabella", "emily", "grace", "amelia",
    "liam", "noah", "james", "oliver", "ethan", "jacob", "henry", "jack",
    "anna", "lena", "marie", "hannah", "lukas", "felix", "jonas", "leon",
    "sofia", "lucia", "martina", "alejandro", "diego", "mateo", "pablo",
    "giulia", "chiara", "marco", "luca", "matteo", "yuki", "haruto", "sakura",
    "ren", "ana", "joao", "gabriel", "rafael", "priya", "arjun", "aarav",
    "minjun", "seoyeon", "jiwoo", "kasia", "jakub", "emre", "elif", "lars",
    "freja", "noor", "daan", "sven", "ingrid",
)  # fmt: skip
LAST_NAMES = (
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit",
    "durand", "leroy", "moreau", "smith", "johnson", "williams", "brown",
    "jones", "miller", "davis", "wilson", "taylor", "clark", "walker",
    "mueller", "schmidt", "schneider", "fischer", "weber", "wagner", "becker",
    "garcia", "rodriguez", "lopez", "martinez", "sanchez", "perez", "rossi",
    "russo", "ferrari", "esposito", "bianchi", "tanaka", "suzuki", "sato",
    "takahashi", "silva", "santos", "oliveira", "souza", "sharma", "patel",
    "singh", "kim", "lee", "park", "choi", "nowak", "kowalski", "yilmaz",
    "kaya", "jansen", "devries", "andersson", "johansson", "hansen",
    "nielsen", "murphy", "kelly", "oconnor", "peeters", "muller", "novak",
)  # fmt: skip
# Mail providers, weighted: (domain, weight).
EMAIL_DOMAINS = (
    ("outlook.demo.example", 30),
    ("hotmail.demo.example", 14),
    ("live.demo.example", 6),
    ("gmail.demo.example", 28),
    ("yahoo.demo.example", 8),
    ("icloud.demo.example", 6),
    ("proton.demo.example", 3),
    ("gmx.demo.example", 3),
    ("orange.demo.example", 2),
)
# Markets, weighted roughly like a global store audience: (ISO code, weight).
MARKETS = (
    ("US", 28.0), ("GB", 7.5), ("DE", 7.0), ("FR", 6.5), ("JP", 5.5),
    ("BR", 5.0), ("CA", 4.0), ("IN", 4.0), ("MX", 3.0), ("ES", 3.0),
    ("IT", 3.0), ("KR", 2.5), ("AU", 2.2), ("NL", 2.0), ("PL", 2.0),
    ("TR", 1.5), ("SE", 1.2), ("BE", 1.1), ("CH", 1.0), ("AT", 0.9),
    ("AR", 0.9), ("PT", 0.8), ("CO", 0.7), ("IE", 0.6), ("DK", 0.6),
    ("NO", 0.6), ("FI", 0.5), ("CZ", 0.5), ("CL", 0.5), ("ZA", 0.5),
    ("NZ", 0.4), ("SG", 0.4),
)  # fmt: skip
# Age bands (first age, last age, weight); ages within a band are equally likely.
AGE_BANDS = (
    (13, 17, 6),
    (18, 24, 18),
    (25, 34, 24),
    (35, 49, 27),
    (50, 64, 17),
    (65, 80, 8),
)
UNKNOWN_BIRTH_DATE_CHANCE = 0.07
GENDERS = (("male", 46), ("female", 46), ("unknown", 8))
UNAUTHENTICATED_CHANCE = 0.10
PLATFORMS = (("windows11", 50), ("windows10", 33), ("xbox", 11), ("other", 6))
ACQUISITION_TYPES = (
    ("free", 62),
    ("paid", 18),
    ("trial", 12),
    ("promotional_code", 8),
)
CAMPAIGN_IDS = (
    "spring_sale",
    "launch_2025",
    "influencer_q3",
    "back_to_school",
    "holiday_bundle",
    "newsletter_may",
    "summer_event",
    "retarget_lapsed",
)
CAMPAIGN_CHANCE = 0.20
REFERRER_DOMAINS = (
    "www.bing.com",
    "www.google.com",
    "www.youtube.com",
    "www.reddit.com",
    "twitter.com",
    "www.facebook.com",
    "www.tiktok.com",
    "news.xbox.com",
    "www.theverge.com",
    "www.pcgamer.com",
)
REFERRER_CHANCE = 0.15
STORE_PAGE_VIEW_CHANCE = 0.60
NEVER_ACTIVE_CHANCE = 0.03
RATING_CHANCE = 0.25
RATINGS = (("1", 5), ("2", 5), ("3", 12), ("4", 33), ("5", 45))
CHURN_SCORE_CHANCE = 0.85
# Prices of paid apps, in cents.
APP_PRICES_CENTS = (99, 199, 299, 499, 999, 1499, 2999)
