#!/usr/bin/python3
# One run of the Keystead app WITHOUT WebDriver (run by tests/bench/app-bench.mjs under Xvfb; needs Debian's
# python3-gi + GTK 3 for fast screen grabs, and xdotool). Prints one JSON line:
#   window_s      spawn -> `xdotool search --onlyvisible --name Keystead` finds the window
#   painted_s     spawn -> first screen grab that looks like the settled unlock screen
#   unlock_s      Return pressed -> first grab that looks like the settled key table (includes the KDF)
#   pss_kib       PSS of the app and all its descendants, wait_s after the table was painted
# "Looks like the settled screen": the grab differs from the last grab of the phase in under `tolerance` of
# its sampled bytes (the caret blinks and countdowns tick, so an exact match would be wrong).
import argparse
import json
import os
import signal
import subprocess
import sys
import time

import gi

gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GdkPixbuf  # noqa: E402

SAMPLE_W, SAMPLE_H = 320, 200


def grab(root, w, h):
    # The middle half of the screen (where the unlock form sits and the table's rows are): a quarter of the
    # pixels of a full grab, so the grabbing steals less CPU from the app on a 2-core machine.
    pb = Gdk.pixbuf_get_from_window(root, w // 4, h // 4, w // 2, h // 2)
    if pb is None:
        return b""
    return pb.scale_simple(SAMPLE_W, SAMPLE_H, GdkPixbuf.InterpType.NEAREST).get_pixels()


def differing(a, b):
    if len(a) != len(b) or not a:
        return 1.0
    x = (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")
    return (len(x) - x.count(0)) / len(x)


def record(root, w, h, seconds, stop_when_stable=None):
    """Grabs the screen for up to `seconds`, or until it showed no more than caret-sized changes for the
    last `stop_when_stable` seconds."""
    frames = []
    end = time.monotonic() + seconds
    last_change = None  # nothing changed yet: keep waiting for the first change
    while time.monotonic() < end:
        t = time.monotonic()
        px = grab(root, w, h)
        if frames and differing(px, frames[-1][1]) > 0.002:
            last_change = t
        frames.append((t, px))
        if stop_when_stable and last_change is not None and t - last_change > stop_when_stable:
            break
        time.sleep(0.01)
    return frames


def first_settled(frames, tolerance):
    final = frames[-1][1]
    for t, px in frames:
        if differing(px, final) < tolerance:
            return t, final
    return frames[-1][0], final


def start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2 :].split()[19])


def child_started_s(pid, comm):
    """Seconds from the app's start to the start of its descendant named `comm` (10 ms resolution)."""
    tick = os.sysconf("SC_CLK_TCK")
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() == comm:
                    return (start_ticks(p) - start_ticks(pid)) / tick
        except OSError:
            pass
    return None


def first_content(frames):
    """Time of the first grab that is not a uniform window (blank GTK window or black screen)."""
    for t, px in frames:
        if len(set(px)) > 8:
            return t
    return None


def descendants(pid):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def pss_tree(pid):
    """PSS of the process tree, its USS (Private_Clean + Private_Dirty) and PSS by process name."""
    total, uss, parts = 0, 0, {}
    for p in descendants(pid):
        try:
            fields = {}
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    bits = line.split()
                    if len(bits) == 3 and bits[2] == "kB":
                        fields[bits[0].rstrip(":")] = int(bits[1])
            with open(f"/proc/{p}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        total += fields.get("Pss", 0)
        uss += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        parts[comm] = parts.get(comm, 0) + fields.get("Pss", 0)
    return total, uss, parts


def xdotool(*args):
    return subprocess.run(["xdotool", *args], capture_output=True, text=True)


def main():
    # SIGTERM ends the run through the `finally` below, which stops the app.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--vault", required=True)
    ap.add_argument("--passphrase", default="bench-passphrase")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the app process")
    ap.add_argument("--wait", type=float, default=5.0, help="seconds after the table is painted before PSS")
    ap.add_argument("--tolerance", type=float, default=0.02)
    ap.add_argument("--shot", help="save a PNG of the screen with the table shown")
    ap.add_argument("--fail-shot", help="save a PNG of the screen here when the unlock seems to have failed")
    ap.add_argument("--log", default=os.devnull)
    a = ap.parse_args()

    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    root = Gdk.get_default_root_window()
    w, h = root.get_width(), root.get_height()
    result = {}
    log = open(a.log, "ab")
    t0 = time.monotonic()
    app = subprocess.Popen([a.bin, "--vault", a.vault], env=env, stdout=log, stderr=log)
    try:
        wid = None
        while time.monotonic() - t0 < 30:
            r = xdotool("search", "--onlyvisible", "--name", "^Keystead$")
            if r.returncode == 0 and r.stdout.strip():
                wid = r.stdout.split()[0]
                break
            time.sleep(0.01)
        if wid is None:
            raise SystemExit("the Keystead window never appeared")
        result["window_s"] = time.monotonic() - t0
        frames = record(root, w, h, 6.0, stop_when_stable=1.5)
        t, final = first_settled(frames, a.tolerance)
        result["painted_s"] = t - t0
        fc = first_content(frames)
        result["first_content_s"] = None if fc is None else fc - t0
        result["webprocess_started_s"] = child_started_s(app.pid, "WebKitWebProces")
        result["unlock_frames"] = len(frames)

        # Unlock: the passphrase field has the focus; give the window keyboard focus (no window manager).
        xdotool("windowfocus", "--sync", wid)
        xdotool("type", "--delay", "1", a.passphrase)
        time.sleep(0.3)
        before = grab(root, w, h)
        t1 = time.monotonic()
        xdotool("key", "Return")
        frames = record(root, w, h, 12.0, stop_when_stable=2.0)
        t, final = first_settled(frames, a.tolerance)
        result["unlock_s"] = t - t1
        result["unlock_changed"] = differing(before, final)
        if result["unlock_changed"] < 0.05:
            result["error"] = "the screen did not change after Return: unlock failed?"
            if a.fail_shot:
                subprocess.run(["import", "-window", "root", a.fail_shot], check=False)
        remaining = a.wait - (time.monotonic() - t)
        if remaining > 0:
            time.sleep(remaining)
        total, uss, parts = pss_tree(app.pid)
        result["pss_kib"] = total
        result["uss_kib"] = uss
        result["pss_parts_kib"] = parts
        if a.shot:
            subprocess.run(["import", "-window", "root", a.shot], check=False)
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
