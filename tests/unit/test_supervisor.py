import os
import signal
import sys

from bot.runtime.supervisor import Supervisor


def test_stop_all_leaves_no_child_or_grandchild(tmp_path):
    supervisor = Supervisor()
    # A child that starts a grandchild and ignores SIGTERM: only the group kill stops it.
    script = (
        "import signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
        f"open({str(tmp_path / 'pid')!r}, 'w').write(str(p.pid));"
        "time.sleep(600)"
    )
    child = supervisor.start("stubborn", [sys.executable, "-c", script], dict(os.environ), tmp_path)
    pid_file = tmp_path / "pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        import time

        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    supervisor.stop_all(timeout_s=1)
    assert child.process.poll() is not None
    try:
        os.kill(grandchild, 0)
        alive = open(f"/proc/{grandchild}/stat").read().split()[2] != "Z"
    except ProcessLookupError:
        alive = False
    assert not alive


def test_only_the_first_stop_signal_interrupts_so_shutdown_is_not_broken_off():
    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.getsignal(getattr(signal, name)) for name in names}
    try:
        Supervisor().install_signal_handlers()
        interrupted = False
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):  # the handler runs between two bytecodes of the main thread
                pass
        except KeyboardInterrupt:
            interrupted = True
        assert interrupted
        try:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again while stop_all is waiting for the servers
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):
                pass
        except KeyboardInterrupt:
            raise AssertionError("a second signal broke off the shutdown") from None
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
