"""The PDF sandbox itself (org.pdfsandbox): renders in forked children never wait on each other."""

import threading
import time

from org import pdfsandbox

QUICK = "<html><body><p>短</p></body></html>"


def test_a_quick_render_does_not_wait_for_a_slow_one_in_another_thread(monkeypatch):
    # Given a render that takes 6 s in its child (the child runs the parent's code, patched here)
    real_child = pdfsandbox._child

    def child(html, resources, limits):
        if "SLOW" in html:
            time.sleep(6)
        return real_child(html, resources, limits)

    monkeypatch.setattr(pdfsandbox, "_child", child)
    pdfsandbox.render(QUICK)  # warm up outside the timing
    finished = {}

    def run(name, html):
        started = time.monotonic()
        pdfsandbox.render(html)
        finished[name] = time.monotonic() - started

    slow = threading.Thread(target=run, args=("slow", "<html><body><p>SLOW</p></body></html>"))
    slow.start()
    time.sleep(0.5)
    # When another thread renders meanwhile
    run("quick", QUICK)
    quick_done_while_slow_runs = slow.is_alive()
    slow.join(30)
    # Then it finished on its own time, while the slow one was still rendering
    assert quick_done_while_slow_runs and finished["quick"] < 4, finished
    assert finished["slow"] >= 6
