"""Hypothesis profiles: the same examples every CI run, more of them locally.

``ci`` (chosen when the environment variable ``CI`` is true, as ``.ci/run``
and hosted CI services set it) is derandomized: a red build fails the same
way on every rerun and on the developer's machine, never by luck. ``dev``
(the default elsewhere) draws new random examples each run, runs
``DEV_SCALE`` times as many and remembers failures in ``.hypothesis/``.
``HYPOTHESIS_PROFILE`` chooses either explicitly.

A property test states its CI budget through ``examples(n)``: explicit
settings override a profile, so the budget scales here rather than there.
"""

import os

from hypothesis import settings

DEV_SCALE = 2
# Hypothesis's own default, the budget of a test that states none.
DEFAULT_EXAMPLES = 100

# Both start from Hypothesis's "default" profile: the one in force when this
# module loads may be Hypothesis's own "ci", which it picks by itself on
# seeing CI variables.
settings.register_profile(
    "ci", settings.get_profile("default"), derandomize=True, print_blob=True
)
settings.register_profile(
    "dev", settings.get_profile("default"), max_examples=DEFAULT_EXAMPLES * DEV_SCALE
)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ci() else "dev")
settings.load_profile(PROFILE)


def examples(ci: int) -> int:
    """Return the number of examples for a test that runs ``ci`` of them in CI."""
    return ci if PROFILE == "ci" else ci * DEV_SCALE
