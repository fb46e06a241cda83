#!/usr/bin/env python3
"""Closes a window as a user does with its title bar's close button: sends it WM_DELETE_WINDOW (what a
window manager sends; Xvfb runs none). Usage: close-window.py WINDOW_ID (decimal, from xdotool)."""
import sys

from Xlib import X, display, protocol


def main():
    d = display.Display()
    window = d.create_resource_object("window", int(sys.argv[1]))
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    event = protocol.event.ClientMessage(
        window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
    )
    window.send_event(event, event_mask=X.NoEventMask)
    d.flush()
    d.close()


if __name__ == "__main__":
    main()
