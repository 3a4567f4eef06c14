import os
import signal
import sys
import time

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
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    supervisor.stop_all(timeout_s=1)
    assert child.process.poll() is not None
    # SIGKILL is delivered asynchronously: on a loaded machine the grandchild may take a moment to die.
    for _ in range(50):
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


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


def test_backoff_doubles_and_is_capped():
    from bot.runtime.supervisor import backoff_s

    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_s(20) == 30


def test_a_crashed_child_is_restarted_logged_and_counted(tmp_path, caplog):
    import logging
    import time

    supervisor = Supervisor(first_backoff_s=0.05)
    child = supervisor.start("server", [sys.executable, "-c", "import time; time.sleep(600)"], dict(os.environ),
                             tmp_path)
    first = child.process.pid
    try:
        os.kill(first, signal.SIGKILL)
        child.process.wait(timeout=10)
        with caplog.at_level(logging.WARNING, logger="bot.runtime.supervisor"):
            deadline = time.monotonic() + 10
            while child.restarts == 0 and time.monotonic() < deadline:
                assert supervisor.check() is None
                time.sleep(0.02)
        assert child.restarts == 1 and child.process.pid != first and child.process.poll() is None
        assert "server exited with code -9" in caplog.text and "server restarted" in caplog.text
    finally:
        supervisor.stop_all(timeout_s=2)
    assert child.process.poll() is not None


def test_a_child_that_keeps_crashing_makes_the_supervisor_give_up(tmp_path):
    supervisor = Supervisor(max_crashes=3, crash_window_s=60, first_backoff_s=0.01)
    steady = supervisor.start("steady", [sys.executable, "-c", "import time; time.sleep(600)"], dict(os.environ),
                              tmp_path)
    crashing = supervisor.start("crashing", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path)
    try:
        given_up = supervisor.supervise(poll_s=0.02)
        assert given_up is crashing and crashing.restarts == 2 and crashing.process.returncode == 3
        assert steady.process.poll() is None and steady.restarts == 0  # the others were never touched
    finally:
        supervisor.stop_all(timeout_s=2)
