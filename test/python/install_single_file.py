# Run inside Blender (`blender -b --factory-startup --python install_single_file.py`) by
# test/single-file-runtime.e2e.test.ts: install a single-file add-on as a user would (Preferences > Install,
# or as a 4.2+ extension: the file as the __init__.py of a package with a blender_manifest.toml), enable it,
# and ask its socket server three times from client threads while the main thread pumps every loaded
# bgsafe runtime (what the service loop of `bgsafe scaffold service` does). Prints one JSON line: RESULT {...}.
import json
import os
import socket
import sys
import tempfile
import threading
import time
import zipfile

import addon_utils
import bpy

MODE = os.environ["BGSAFE_TEST_MODE"]  # "install" or "extension"
SOURCE = os.environ["BGSAFE_TEST_ADDON"]
PORT = int(os.environ["SCENE_LINK_PORT"])
WAIT = float(os.environ.get("BGSAFE_TEST_WAIT", "15"))
NAME = os.path.splitext(os.path.basename(SOURCE))[0]

MANIFEST = """schema_version = "1.0.0"
id = "%s"
version = "0.3.0"
name = "Scene Link"
tagline = "Answers scene queries over a local socket"
maintainer = "bgsafe fixtures"
type = "add-on"
blender_version_min = "4.2.0"
license = ["SPDX:GPL-3.0-or-later"]
""" % NAME

result = {"mode": MODE, "version": list(bpy.app.version)}
errors = []
if MODE == "install":
    result["install"] = sorted(bpy.ops.preferences.addon_install(filepath=SOURCE))
    module = NAME
elif bpy.app.version < (4, 2, 0):
    print("RESULT " + json.dumps(dict(result, skipped="extensions came with Blender 4.2")), flush=True)
    sys.exit(0)
else:
    archive = os.path.join(tempfile.mkdtemp(), NAME + ".zip")
    with zipfile.ZipFile(archive, "w") as z:
        z.write(SOURCE, "__init__.py")
        z.writestr("blender_manifest.toml", MANIFEST)
    result["install"] = sorted(bpy.ops.extensions.package_install_files(filepath=archive, repo="user_default", enable_on_install=False))
    module = "bl_ext.user_default." + NAME
mod = addon_utils.enable(module, default_set=False, handle_error=lambda e: errors.append(repr(e)))
result["enabled"] = mod is not None and not errors
result["errors"] = errors
result["file"] = getattr(mod, "__file__", None)
result["folder"] = sorted(os.listdir(os.path.dirname(mod.__file__))) if mod else []
runtime = sys.modules.get(module + ".bgsafe_runtime")
result["runtime"] = runtime is not None and getattr(runtime, "BGSAFE_RUNTIME_VERSION", None) is not None

answers = []
lock = threading.Lock()


def client(i):
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=WAIT) as s:
            s.sendall((json.dumps({"id": i}) + "\n").encode())
            line = s.makefile().readline()
        with lock:
            answers.append(json.loads(line) if line else None)
    except OSError as e:
        with lock:
            answers.append({"client_error": str(e)})


threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(3)]
started = time.monotonic()
for t in threads:
    t.start()
while any(t.is_alive() for t in threads) and time.monotonic() - started < WAIT:
    if runtime is not None:
        runtime.pump()
    time.sleep(0.01)
result["seconds"] = round(time.monotonic() - started, 3)
result["answers"] = sorted((a for a in answers if a and "id" in a), key=lambda a: a["id"])
result["client_errors"] = [a["client_error"] for a in answers if a and "client_error" in a]
if mod is not None:
    addon_utils.disable(module, default_set=False)
print("RESULT " + json.dumps(result), flush=True)
