"""What uses customer groups: package flights, audiences and targeted offers.

Imports ``engagement`` and ``customers``; neither imports it (design.md §2).
"""
