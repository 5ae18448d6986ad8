"""Run reference_service in several uvicorn worker processes, each with its own socket.

`uvicorn --workers N` (0.17) has two problems that this launcher avoids:

- It binds one listening socket with socket.socket(family), so the socket's proto is 0, and
  asyncio sets TCP_NODELAY only on accepted sockets whose proto is IPPROTO_TCP. Every
  keep-alive response after the first then waits for the client's delayed ACK, about 40 ms
  on Linux (reported upstream as Kludex/uvicorn issue 3149).
- All workers accept from that one socket, and the first to wake accepts every pending
  connection, so a client that opens a few long-lived connections at once can keep one
  worker busy while the other idles.

Here each worker binds its own IPPROTO_TCP socket with SO_REUSEPORT, and the Linux kernel
spreads new connections over the sockets by a hash of their addresses. With few connections
the split can still be uneven.

Usage: python3 uvicorn_workers.py APP_DIR HOST PORT WORKERS
Stops its workers on SIGTERM or SIGINT, and exits 1 when a worker exits on its own.
"""
import multiprocessing
import signal
import socket
import sys
import threading

import uvicorn


def serve(app_dir, host, port):
    """Serve the app in this worker process until uvicorn receives SIGTERM or SIGINT."""
    sys.path.insert(0, app_dir)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    config = uvicorn.Config(
        "reference_service:app",
        loop="asyncio",
        http="h11",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run(sockets=[listener])


def main(app_dir, host, port, worker_count):
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())

    # spawn, as uvicorn uses, so that no worker inherits this process's state.
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=serve, args=(app_dir, host, port)) for _ in range(worker_count)
    ]
    for worker in workers:
        worker.start()

    exit_code = 0
    while not stop.wait(0.2):
        exited = [worker for worker in workers if worker.exitcode is not None]
        if exited:
            print(f"uvicorn_workers: worker {exited[0].pid} exited with code {exited[0].exitcode},"
                  " stopping the others", file=sys.stderr)
            exit_code = 1
            break
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(10)
        if worker.exitcode is None:
            worker.kill()
            worker.join()
    return exit_code


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
