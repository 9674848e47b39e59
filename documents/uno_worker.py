"""LibreOffice conversion worker. Runs under Debian's python3 (python3-uno), NOT the venv; started by
documents.render.PdfConverter and spoken to over stdin/stdout, one JSON object per line:

    -> {"id": 1, "in": "/tmp/x/in.docx", "out": "/tmp/x/out.pdf", "filter_data": {...}}
    <- {"id": 1, "ok": true}  |  {"id": 1, "ok": false, "error": "...", "fatal": false}

It starts one soffice process of its own (own profile, own pipe) and keeps it for every request. It exits,
taking soffice with it, when stdin closes (its owner died or closed it) or when soffice goes away.
Only stdlib + uno here: this file must import nothing from the project.
"""
import json
import os
import signal
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def _prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _reply(out, **fields):
    out.write(json.dumps(fields) + "\n")
    out.flush()


def _connect(proc, pipe_name, timeout_s):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if proc.poll() is not None:
                raise RuntimeError(f"soffice exited with code {proc.returncode} before accepting connections")
            if time.monotonic() > deadline:
                raise RuntimeError(f"soffice did not accept connections within {timeout_s} s")
            time.sleep(0.05)


def _filter_data(options):
    values = tuple(_prop(k, v) for k, v in options.items())
    return uno.Any("[]com.sun.star.beans.PropertyValue", values)


def _convert(desktop, request):
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(request["in"]), "_blank", 0,
        # An explicit import filter: anything that is not a Word document fails instead of opening as text.
        (_prop("Hidden", True), _prop("ReadOnly", True), _prop("FilterName", request.get("import_filter"))),
    )
    if doc is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        args = (_prop("FilterName", "writer_pdf_Export"),
                _prop("FilterData", _filter_data(request.get("filter_data") or {})))
        uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(request["out"]), args))
    finally:
        doc.close(True)


def main():
    soffice, profile_dir, pipe_name, start_timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    out = sys.stdout
    # Everything uno or soffice might print goes to stderr, so stdout carries only the protocol.
    sys.stdout = sys.stderr
    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
         "-env:UserInstallation=" + uno.systemPathToFileUrl(profile_dir),
         f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def stop(*_args):
        try:
            proc.terminate()
            proc.wait(10)
        except Exception:  # noqa: BLE001 - last resort below
            proc.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        desktop = _connect(proc, pipe_name, start_timeout)
    except Exception as err:  # noqa: BLE001
        _reply(out, ready=False, error=str(err))
        stop()
    _reply(out, ready=True, soffice_pid=proc.pid)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            _convert(desktop, request)
            _reply(out, id=request["id"], ok=True)
        except Exception as err:  # noqa: BLE001 - report every failure to the owner
            fatal = proc.poll() is not None or "Disposed" in type(err).__name__
            _reply(out, id=request["id"], ok=False, error=f"{type(err).__name__}: {err}", fatal=fatal)
            if fatal:
                break
    try:
        desktop.terminate()
    except Exception:  # noqa: BLE001 - soffice may already be gone
        pass
    stop()


if __name__ == "__main__":
    main()
