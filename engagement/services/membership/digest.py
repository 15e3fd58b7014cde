"""A segment's member digest: how the daily run knows a segment is unchanged
without reading its members (PostgreSQL).

The digest of a set of customers is its size and two sums of 64-bit hashes
of their ids (``hashint8extended`` with two seeds), kept exactly (numeric
sums, no overflow) on the segment's row as ``count:sum1:sum2``. Every
recompute keeps it in step with the rows it writes (the digest of what joined
minus that of what left); the shared scan computes the digest of what each
segment's definition selects and compares: equal digests mean an equal set,
unless two independent 64-bit hash sums collide at once (about 2**-128 for a
change), so the segment's members are not read at all. A different or
unknown digest (``""``: SQLite, rows written before digests existed, an
erasure) only means the members are compared the ordinary way.
"""

from __future__ import annotations

from dataclasses import dataclass

SEEDS = (1, 2)


@dataclass(frozen=True)
class Digest:
    count: int
    sums: tuple[int, int]

    def __add__(self, other: Digest) -> Digest:
        return Digest(
            self.count + other.count,
            tuple(a + b for a, b in zip(self.sums, other.sums, strict=True)),
        )

    def text(self) -> str:
        return ":".join(str(part) for part in (self.count, *self.sums))

    @classmethod
    def parse(cls, text: str) -> Digest | None:
        """The stored digest, or None when it is unknown."""
        if not text:
            return None
        count, *sums = (int(part) for part in text.split(":"))
        return cls(count, tuple(sums))


EMPTY = Digest(0, (0,) * len(SEEDS))


def hashes_sql(column: str) -> list[str]:
    """The SQL of each hash of ``column`` (a customer id)."""
    return [f"hashint8extended({column}, {seed})" for seed in SEEDS]


def aggregates_sql(
    column: str, *, sign: str = "", where: str = "", hashes: list[str] | None = None
) -> str:
    """``count, sum1, sum2`` of ``column`` over the rows; ``where`` filters;
    ``hashes`` names columns holding the hashes already (one per seed).

    With ``sign`` (an SQL expression of 1 or -1 per row, e.g. -1 for rows
    that leave) each row counts that many times. Without it the sums stay
    on PostgreSQL's 128-bit integer accumulator of ``sum(bigint)``, which
    the daily scan runs for every segment on every row.
    """
    filtered = f" FILTER (WHERE {where})" if where else ""
    hashes = hashes or hashes_sql(column)
    if not sign:
        parts = [f"count(*){filtered}"] + [
            f"coalesce(sum({hashed}){filtered}, 0)" for hashed in hashes
        ]
    else:
        parts = [f"coalesce(sum({sign}){filtered}, 0)"] + [
            f"coalesce(sum(({sign}) * {hashed}::numeric){filtered}, 0)"
            for hashed in hashes
        ]
    return ", ".join(parts)


def from_row(row) -> Digest:
    count, *sums = (int(value) for value in row)
    return Digest(count, tuple(sums))
