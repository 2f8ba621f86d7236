#!/usr/bin/env python3
"""Pick the corpus files to commit: the seeds, plus a greedy edge cover of a run's
grown corpus, capped so that the target keeps at most CAP files.

Input is a libFuzzer merge control file, written by
    <fuzz binary> -merge=1 -set_cover_merge=1 -use_counters=0 -merge_control_file=FILE \
        EMPTY_DIR corpus/<target> <grown dir>
whose `FT <index> <feature>...` lines list, with -set_cover_merge=1 and
-use_counters=0, every coverage feature (edge) of each input. Files under
corpus/<target> named seed-* are always kept; the other inputs are chosen one by
one, each time the one adding the most features not yet covered (ties: the smaller
file), until nothing is gained or the cap is reached. Prints the chosen paths.

usage: select_corpus.py CONTROL_FILE CAP
"""

import os
import sys


def main() -> None:
    control, cap = sys.argv[1], int(sys.argv[2])
    with open(control) as f:
        lines = f.read().splitlines()
    count = int(lines[0])
    paths = lines[2 : 2 + count]
    cov: dict[int, set[int]] = {}
    for line in lines[2 + count :]:
        if line.startswith("FT "):
            parts = line.split()
            cov[int(parts[1])] = set(map(int, parts[2:]))
    seeds = [i for i, p in enumerate(paths) if os.path.basename(p).startswith("seed-")]
    covered: set[int] = set()
    for i in seeds:
        covered |= cov.get(i, set())
    seed_edges = len(covered)
    everything = set().union(*cov.values()) if cov else set()
    candidates = {i for i in range(count) if i not in seeds and i in cov}
    chosen = []
    while candidates and len(seeds) + len(chosen) < cap:
        best = max(candidates, key=lambda i: (len(cov[i] - covered), -os.path.getsize(paths[i])))
        gain = len(cov[best] - covered)
        if gain == 0:
            break
        chosen.append(best)
        covered |= cov[best]
        candidates.discard(best)
    print(
        f"# seeds {len(seeds)} cover {seed_edges} features; chosen {len(chosen)} more cover "
        f"{len(covered)} of the {len(everything)} features of seeds + grown corpus",
        file=sys.stderr,
    )
    for i in chosen:
        print(paths[i])


if __name__ == "__main__":
    main()
