#!/usr/bin/env python3
"""Cold start and footprint of the functions, next to a minimal lambda_runtime function measured
in the same run (scripts/coldstart.sh builds the binaries and calls this).

For each function:
  * init: the binary started under the Lambda runtime interface emulator `--runs` times; each
    time one invocation (the emulator starts the runtime on the first one) and its
    `INIT REPORT(durationMs: …)`, from process start to the runtime's first `next`. The AWS
    endpoint is a local listener that counts connections: init must succeed with no AWS call.
  * peak memory: `--invocations` warm invocations of an event answered without AWS calls, then
    `VmHWM` of the function's process (the emulator's child).
  * size: the arm64 release binary, as `sam build` makes it (already stripped by the profile).
"""

import argparse
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
INIT_REPORT = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


class CountingEndpoint:
    """A TCP listener standing in for every AWS endpoint: it counts connections and closes them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            self.connections += 1
            conn.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the emulator exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("the emulator did not listen on %d within %d s" % (port, timeout))


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            # pid (comm) state ppid …; comm may hold spaces and parentheses.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def elf_kind(path):
    """(is arm64, is stripped) from the ELF header and section table (no `file` needed)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False, False
    (machine,) = struct.unpack_from("<H", data, 18)
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    # SHT_SYMTAB (2): the static symbol table, the part `strip` removes.
    types = [struct.unpack_from("<I", data, shoff + i * shentsize + 4)[0] for i in range(shnum)]
    return machine == 183, 2 not in types


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s in /proc/%d/status" % (field, pid))


class Emulated:
    """One binary under the emulator, with its output in a log file."""

    def __init__(self, rie, binary, env):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="coldstart-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [rie, "--runtime-interface-emulator-address", "127.0.0.1:%d" % self.port,
             "--runtime-api-address", "127.0.0.1:%d" % free_port(), binary],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir())
        try:
            wait_for_port(self.port, self.proc)
        except Exception:
            self.stop()
            raise
        self.url = "http://127.0.0.1:%d%s" % (self.port, INVOKE_PATH)

    def invoke(self, body):
        request = urllib.request.Request(self.url, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        if isinstance(answer, dict) and "errorType" in answer:
            raise RuntimeError("the function failed: %s (log: %s)" % (answer, self.log.name))
        return answer

    def init_ms(self):
        with open(self.log.name) as f:
            found = INIT_REPORT.findall(f.read())
        if len(found) != 1:
            raise RuntimeError(
                "expected one INIT REPORT in %s, found %d" % (self.log.name, len(found)))
        return float(found[0])

    def function_pid(self):
        pids = children(self.proc.pid)
        if len(pids) != 1:
            raise RuntimeError("expected one child of the emulator, found %s" % pids)
        return pids[0]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)


def event(events_dir, name, token):
    with open(os.path.join(events_dir, name + ".json")) as f:
        return f.read().replace("{{TOKEN}}", token).encode()


def mib(n_bytes):
    return n_bytes / (1024 * 1024)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rie", required=True, help="the aws-lambda-rie binary")
    parser.add_argument("--events", required=True, help="the events/ directory")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--size-of", choices=["arm64", "x86_64"], default="arm64",
                        help="which build's size to report (x86_64: scripts/profile-variants.sh)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra environment variable for every function")
    parser.add_argument("function", nargs="+",
                        help="name=x86_64_binary,arm64_binary,event,status (a statusCode, or - for "
                             "any answer that is not a function error); the first is the floor")
    args = parser.parse_args()

    functions = []
    for spec in args.function:
        name, rest = spec.split("=", 1)
        x86, arm64, event_name, status = rest.split(",")
        # An invalid token: answered 401 by the handler itself, with no AWS call.
        expected = None if status == "-" else int(status)
        functions.append((name, x86, arm64, event(args.events, event_name, "not-a-jwt"), expected))

    endpoint = CountingEndpoint()
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TABLE_NAME": "bench-table",
        "EVENT_BUS_NAME": "bench-bus",
        # admin-api's own table (the others read tenants through it too, on first use).
        "TENANTS_TABLE": "bench-tenants",
        "TRUSTED_KEYS": '{"keys":[]}',
        "INSIGHT_CATEGORIES": '{"categories":[]}',
        "CONNECT_TENANT": "00D000000000DEV",
        # live-deliver's management API (the WebSocket stage's URL), counted like any AWS call.
        "LIVE_CONNECTIONS_URL": endpoint.url,
        # As deployed (template.yaml: LoggingConfig LogFormat JSON, level INFO).
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "RUST_LOG": "info",
    }
    env.update(pair.split("=", 1) for pair in args.env)

    init = {name: [] for name, *_ in functions}
    for _ in range(args.runs):
        # Interleaved, so a slow moment of the machine hits every function alike.
        for name, x86, _, body, _ in functions:
            emulated = Emulated(args.rie, x86, env)
            try:
                emulated.invoke(body)
                init[name].append(emulated.init_ms())
            finally:
                emulated.stop()
    init_calls = endpoint.connections

    peak = {}
    for name, x86, _, body, expected in functions:
        emulated = Emulated(args.rie, x86, env)
        try:
            for _ in range(args.invocations):
                answer = emulated.invoke(body)
                if expected is not None and answer.get("statusCode") != expected:
                    raise RuntimeError("%s answered %s, not %d" % (name, answer, expected))
            peak[name] = status_kib(emulated.function_pid(), "VmHWM") * 1024
        finally:
            emulated.stop()
    warm_calls = endpoint.connections - init_calls

    sizes = {}
    for name, x86, arm64, _, _ in functions:
        path = arm64 if args.size_of == "arm64" else x86
        is_arm64, stripped = elf_kind(path)
        if is_arm64 != (args.size_of == "arm64"):
            sys.exit("%s is not an %s binary" % (path, args.size_of))
        sizes[name] = (os.path.getsize(path), stripped)

    floor = functions[0][0]
    median = {name: statistics.median(values) for name, values in init.items()}
    print()
    print("Cold start and footprint. init: median of %d cold starts under the runtime emulator"
          % args.runs)
    print("(x86_64 release); size: %s;" % (
        "the arm64 release bootstrap, as `sam build` makes it" if args.size_of == "arm64"
        else "the x86_64 release binary"))
    print("peak: VmHWM of the function's process after %d warm invocations." % args.invocations)
    print()
    header = ("function", "init ms", "(min-max)", "× floor",
              "%s MiB" % args.size_of, "× floor", "peak MiB", "× floor")
    rows = []
    for name, *_ in functions:
        size, stripped = sizes[name]
        rows.append((
            name + (" (floor)" if name == floor else ""),
            "%.1f" % median[name],
            "(%.1f-%.1f)" % (min(init[name]), max(init[name])),
            "%.2f" % (median[name] / median[floor]),
            "%.2f%s" % (mib(size), "" if stripped else " (not stripped)"),
            "%.2f" % (size / sizes[floor][0]),
            "%.1f" % mib(peak[name]),
            "%.2f" % (peak[name] / peak[floor]),
        ))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells))
    print()
    print("AWS calls: %d during the %d cold starts, %d during the %d warm invocations"
          % (init_calls, args.runs * len(functions), warm_calls,
             args.invocations * len(functions)))
    worst = max(median[name] / median[floor] for name, *_ in functions)
    print("init aim: at most 1.5× the floor; worst %.2f×, %s"
          % (worst, "met" if worst <= 1.5 else "NOT met"))
    if init_calls:
        sys.exit("init made AWS calls")


if __name__ == "__main__":
    main()
