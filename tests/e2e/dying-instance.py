#!/usr/bin/env python3
"""Holds Keystead's single-instance name on the session bus as an instance that is quitting does: the first
call to it ends this process without a reply. Prints "ready" once the name is owned.
Usage: dying-instance.py BUS_NAME OBJECT_PATH"""
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
owned = dbus.service.BusName(sys.argv[1], bus, do_not_queue=True)


class Dying(dbus.service.Object):
    @dbus.service.method("org.SingleInstance.DBus", in_signature="ass", out_signature="")
    def ExecuteCallback(self, argv, cwd):
        # Gone before answering, as a process leaving the bus mid-call.
        os._exit(0)


Dying(bus, sys.argv[2])
print("ready", flush=True)
GLib.MainLoop().run()
