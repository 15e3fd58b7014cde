"""The growth benchmark's child process (spawned: it starts from nothing).

Nothing Django is imported at module level: the child unpickles its target
from here before Django is set up.
"""


def main(size, seed, shapes, results) -> None:
    import django

    django.setup()
    from engagement.management.bench_scale import growth_measure

    growth_measure(size, seed, shapes, results)
