#!/usr/bin/env python3
"""Generates a deterministic source-like tree for scripts/bench-scan.sh: Python, JS, JSON, YAML, Markdown and
.env files with planted secrets (own secrets of the 100 bench keys raw and base64-encoded, exchange-shaped keys,
.env assignments). Usage: scan-tree.py DIR [MEGABYTES] (default 520)."""
import base64
import os
import random
import sys

SEED = 14


def own_secret(i, field):
    """Key i's secret for field K (API key) or S (secret); the same as examples/scan_bench.rs."""
    return "kst%s%03dQ9v%016x" % (field, i, ((i + 1) * 0x9E3779B97F4A7C15) & (2**64 - 1))


WORDS = ("order price amount symbol client balance market ticker account config value result data "
         "request response handler position strategy signal window volume spread fee limit").split()


def ident(rng):
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def code_line(rng):
    kind = rng.randrange(8)
    a, b = ident(rng), ident(rng)
    if kind == 0:
        return "def %s(%s, %s=None):" % (a, b, ident(rng))
    if kind == 1:
        return "    %s = %s.get(%r, %d)" % (a, b, ident(rng), rng.randint(0, 10**6))
    if kind == 2:
        return "    if %s > %s.%s: return %s * %0.4f" % (a, b, ident(rng), a, rng.random())
    if kind == 3:
        return "  const %s = await fetch(`/api/v3/%s?%s=${%s}`);" % (a, b, ident(rng), a)
    if kind == 4:
        return "    # %s the %s before %s" % (rng.choice(WORDS), b, ident(rng))
    if kind == 5:
        return '  "%s": {"%s": %d, "%s": "%s"},' % (a, b, rng.randint(0, 999), ident(rng), ident(rng))
    if kind == 6:
        return "    log.info(\"%s %%s %%d\", %s, len(%s))" % (a, b, a)
    return "%s: %s  # sha %040x" % (a, b, rng.getrandbits(160))


def main():
    out = sys.argv[1]
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 520
    rng = random.Random(SEED)
    chunks = ["\n".join(code_line(rng) for _ in range(rng.randint(20, 60))) + "\n" for _ in range(3000)]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    exts = [".py", ".js", ".json", ".yaml", ".md", ".ts", ".txt"]
    total, n = 0, 0
    planted_own = planted_shape = 0
    while total < megabytes * 1_000_000:
        d = os.path.join(out, "pkg%03d" % (n // 200), "mod%02d" % (n % 200 // 20))
        os.makedirs(d, exist_ok=True)
        body = "".join(rng.choice(chunks) for _ in range(rng.randint(4, 16)))
        name = "file%06d%s" % (n, rng.choice(exts))
        if n % 97 == 0:
            i = rng.randrange(100)
            value = own_secret(i, rng.choice("KS"))
            if rng.random() < 0.5:
                value = base64.b64encode(value.encode()).decode()
            body += "client = Exchange(secret=%r)\n" % value
            planted_own += 1
        if n % 251 == 0:
            body += "BINANCE_API_KEY = '%s'\n" % "".join(rng.choice(alnum) for _ in range(64))
            body += "aws = 'AKIA%s'\n" % "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
            planted_shape += 2
        if n % 500 == 0:
            with open(os.path.join(d, ".env"), "w") as f:
                f.write("EXCHANGE=binance\nAPI_KEY=changeme\nAPI_SECRET=%s\n" % "".join(rng.choice(alnum) for _ in range(20)))
        with open(os.path.join(d, name), "w") as f:
            f.write(body)
        total += len(body)
        n += 1
    print("%d files, %.0f MB, %d own secrets and %d shapes planted" % (n, total / 1e6, planted_own, planted_shape))


if __name__ == "__main__":
    main()
