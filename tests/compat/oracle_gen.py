"""Random but valid values for botocore shapes, for the codec oracle (test_codec_oracle.py).

`Generator(seed).value(shape)` walks a botocore `Shape` and returns a Python value that
botocore's serializer accepts and that satisfies the model's constraints: required members,
enums, min/max lengths, sizes and ranges, and `pattern` where a simple candidate matches it
(checked with Python's `re`). An optional member whose pattern no candidate satisfies is
left out; a required one falls back to the first candidate and is counted in `unmatched`.
Depth is bounded: past `max_depth` only required members are generated.

`canonical(value, shape)` turns such a value (or a value botocore parsed) into Lamina's
canonical form: timestamps as epoch seconds, blobs as base64 text, dicts/lists recursively.
"""
import base64
import datetime
import random
import re
import string

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# Values of member names that services constrain beyond the model (none needed so far);
# kept as data so a future exception is one line.
OVERRIDES = {}


# Unicode classes Python's `re` lacks, approximated by ASCII ranges (enough to test ASCII
# candidates against them).
UNICODE_CLASSES = {r"\p{L}": "a-zA-Z", r"\p{Z}": " ", r"\p{N}": "0-9", r"\p{P}": "!-/:-@", r"\p{M}": ""}

# Identifiers that common model patterns want (instance ids, UUIDs, account ids, ARNs).
FIXED_CANDIDATES = [
    "i-0123456789abcdef0",
    "mi-0123456789abcdef0",
    "mw-0123456789abcdef0",
    "oi-0123456789ab",
    "12345678-1234-1234-1234-123456789012",
    "123456789012",
    "arn:aws:ssm:us-east-1:123456789012:opsmetadata/a",
    "arn:aws:iam::123456789012:role/r",
    "arn:aws:sns:us-east-1:123456789012:t",
    "AWS:a",
    "$LATEST",
    "https://b.s3.amazonaws.com/k",
    "user@example.com",
    "2024-01-02T03:04:05Z",
]


def _compile(pattern):
    for k, v in UNICODE_CLASSES.items():
        pattern = pattern.replace(k, v)
    try:
        return re.compile(pattern)
    except re.error:
        return None


class Generator:
    def __init__(self, seed=0, max_depth=5):
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        self.unmatched = 0

    # -- scalars ---------------------------------------------------------------------

    def _length(self, shape, default_max=10):
        lo = int(shape.metadata.get("min", 0) or 0)
        hi = shape.metadata.get("max")
        hi = int(hi) if hi is not None else max(lo, default_max)
        lo = max(lo, 1) if hi >= 1 else 0
        hi = min(hi, max(lo, default_max))
        return self.rng.randint(lo, hi)

    def _string_candidates(self, shape):
        n = self._length(shape)
        rng = self.rng
        alnum = string.ascii_letters + string.digits
        yield "".join(rng.choice(alnum) for _ in range(n))
        yield "".join(rng.choice(string.ascii_lowercase) for _ in range(n))
        yield "".join(rng.choice(string.digits) for _ in range(n))
        yield "".join(rng.choice(string.ascii_uppercase) for _ in range(n))
        yield "a" * n
        yield "/" + "a" * max(0, n - 1)
        yield "12" * max(1, n // 2)
        yield from FIXED_CANDIDATES

    def string(self, shape):
        enum = shape.metadata.get("enum")
        if enum:
            return self.rng.choice(enum), True
        pattern = shape.metadata.get("pattern")
        lo = shape.metadata.get("min", 0) or 0
        hi = shape.metadata.get("max")
        if not pattern and self.rng.random() < 0.2:
            # Characters the wire formats must escape, and non-ASCII ones.
            special = "a&<b>\"c'\r\n\té ✓ %+= "
            n = self._length(shape, len(special))
            if n >= lo and (hi is None or n <= hi):
                return (special * (n // len(special) + 1))[:n], True
        candidates = list(self._string_candidates(shape))
        regex = _compile(pattern) if pattern else None
        for c in candidates:
            if len(c) < lo or (hi is not None and len(c) > hi):
                continue
            if pattern and (regex is None or not regex.fullmatch(c)):
                continue
            return c, True
        return candidates[0], False

    def number(self, shape, integral):
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        lo = lo if lo is not None else 0
        hi = hi if hi is not None else max(lo, 0) + 100
        if integral:
            return self.rng.randint(int(lo), int(min(hi, lo + 1000)))
        v = round(self.rng.uniform(lo, min(hi, lo + 1000)), 2)
        return min(max(v, lo), hi)

    def timestamp(self):
        secs = self.rng.randint(1_500_000_000, 1_900_000_000)
        millis = self.rng.choice([0, self.rng.randint(1, 999)])
        return EPOCH + datetime.timedelta(seconds=secs, milliseconds=millis)

    def blob(self, shape):
        return bytes(self.rng.randint(0, 255) for _ in range(max(1, self._length(shape, 8))))

    # -- shapes ----------------------------------------------------------------------

    def value(self, shape, depth=0):
        """A valid value, or the marker `SKIP` when none can be produced."""
        t = shape.type_name
        if t == "structure":
            return self.structure(shape, depth)
        if t == "list":
            member = shape.member
            n = self._length(shape, 2)
            items = []
            for _ in range(n):
                v = self.value(member, depth + 1)
                if v is SKIP:
                    return SKIP
                items.append(v)
            return items
        if t == "map":
            n = self._length(shape, 2)
            out = {}
            for _ in range(n * 3):
                if len(out) >= n:
                    break
                k = self.value(shape.key, depth + 1)
                v = self.value(shape.value, depth + 1)
                if k is SKIP or v is SKIP:
                    return SKIP
                out[k] = v
            return out if len(out) >= (shape.metadata.get("min") or 0) else SKIP
        if t == "string":
            v, ok = self.string(shape)
            return v if ok else SKIP
        if t in ("integer", "long"):
            return self.number(shape, True)
        if t in ("float", "double"):
            return self.number(shape, False)
        if t == "boolean":
            return self.rng.choice([True, False])
        if t == "timestamp":
            return self.timestamp()
        if t == "blob":
            return self.blob(shape)
        return SKIP

    def structure(self, shape, depth):
        if shape.is_document_type:
            return {"k": "v", "n": 1}
        members = shape.members
        required = set(shape.required_members)
        out = {}
        names = list(members)
        if shape.is_tagged_union:
            self.rng.shuffle(names)
            for name in names:
                v = self.value(members[name], depth + 1)
                if v is not SKIP:
                    return {name: v}
            return SKIP
        for name in names:
            m = members[name]
            if m.serialization.get("eventstream") or m.serialization.get("streaming"):
                continue
            if name not in required and (depth >= self.max_depth or self.rng.random() < 0.35):
                continue
            v = OVERRIDES.get(name, self.value(m, depth + 1))
            if v is SKIP:
                if name in required:
                    self.unmatched += 1
                    return SKIP
                continue
            out[name] = v
        if not out and names and depth > 0:
            # Query and XML drop an empty structure; give it one member when one can be made.
            for name in names:
                v = self.value(members[name], self.max_depth)
                if v is not SKIP:
                    out[name] = v
                    break
        return out


class _Skip:
    def __repr__(self):
        return "SKIP"


SKIP = _Skip()


def canonical(value, shape):
    """Lamina's canonical form of a Python value of `shape`."""
    if value is None:
        return None
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return value
        return {k: canonical(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if t == "list":
        return [canonical(v, shape.member) for v in value]
    if t == "map":
        return {k: canonical(v, shape.value) for k, v in value.items()}
    if t == "timestamp":
        if isinstance(value, (int, float)):
            return round(float(value), 3)
        return round(value.timestamp(), 3)
    if t == "blob":
        if isinstance(value, str):
            return value  # already canonical (base64 text from Lamina)
        return base64.b64encode(value).decode()
    if t in ("float", "double"):
        return float(value)
    return value
