"""French numbers as CLDR (and so Babel, which formats money) writes them.

Django groups French thousands with a no-break space (U+00A0); CLDR, French
typography and ``babel.numbers`` use a narrow no-break space (U+202F). With
this, ``intcomma`` and ``number_format`` write ``12 415`` with the same
character as the money filter writes ``12 415,00 $US``, and a number never
breaks across lines.
"""

THOUSAND_SEPARATOR = "\u202f"
