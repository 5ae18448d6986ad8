"""Helpers of scripts/bench-server, run as `python3 benchtool.py COMMAND ...`.

  bodies CSV DIR        write DIR/rows-1.json and DIR/rows-100.json, predict request bodies
                        made from the first rows of the retirement CSV (NA becomes null)
  compare WANT GOT      exit 1 unless the two predict responses have the same predictions and
                        probabilities within 1e-6
  free-port             print a TCP port that is free on 127.0.0.1
"""
import csv
import json
import math
import socket
import sys

TOLERANCE = 1e-6


def parse_cell(cell):
    cell = cell.strip()
    return None if cell in ("", "NA") else float(cell)


def write_bodies(csv_path, out_dir):
    with open(csv_path, newline="") as data:
        lines = (line for line in data if not line.startswith("#"))
        rows = [
            {"Age": parse_cell(record["Age"]), "Savings": parse_cell(record["401K Savings"])}
            for record in csv.DictReader(lines)
        ]
    if len(rows) < 100:
        sys.exit(f"benchtool: {csv_path} has {len(rows)} rows, the 100-row body needs 100")
    for count in (1, 100):
        with open(f"{out_dir}/rows-{count}.json", "w") as body:
            json.dump({"inputs": rows[:count]}, body)


def compare(want_path, got_path):
    with open(want_path) as want_file, open(got_path) as got_file:
        want, got = json.load(want_file), json.load(got_file)
    if want["predictions"] != got["predictions"]:
        sys.exit(f"benchtool: predictions differ: {want['predictions']} != {got['predictions']}")
    if len(want["probabilities"]) != len(got["probabilities"]):
        sys.exit("benchtool: the responses have different numbers of probabilities")
    for i, (a, b) in enumerate(zip(want["probabilities"], got["probabilities"])):
        if not math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE):
            sys.exit(f"benchtool: probability {i} differs by more than {TOLERANCE}: {a} != {b}")
    print(f"{len(want['probabilities'])} probabilities agree within {TOLERANCE}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        print(sock.getsockname()[1])


def main(args):
    if args[:1] == ["bodies"] and len(args) == 3:
        write_bodies(args[1], args[2])
    elif args[:1] == ["compare"] and len(args) == 3:
        compare(args[1], args[2])
    elif args == ["free-port"]:
        free_port()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
