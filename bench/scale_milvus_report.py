"""Markdown for scale_milvus.json (``bench.scale_milvus`` measures; this reads the JSON only)."""

from __future__ import annotations

from typing import Any

from bench.markdown import header, num, table

NOTES = """
The real Milvus standalone server (2.3.5, the PyPI `milvus` wheel's binary, loopback, started by
the benchmark with the test suite's launcher and `queryNode.enableDisk` on for DISKANN) on the
same machine as this process. Synthetic frame vectors (`bench/synth.py`, fitted to real
`sscd_distilled` output: shows, shots, shared openings and endings; 12 episodes a show) inserted
through `MilvusStore.add` (show id as the partition key, 64 partitions), one flush at the end.
Then, per index type, the index is dropped and built again, loaded, and searched:

- **recall@10**: share of the exact top 10 (numpy inner product over the same float32 vectors)
  found, for 300 queries = stored frames plus a real screenshot edit (the pool's edit deltas);
- **p50/p95 ms**: one query, limit 10, consistency Eventually (the data is flushed and static:
  the index's own cost plus the gRPC round trip); **Strong p50**: the same with Strong
  consistency, which sabi uses and which waits for the server's next time tick (the launcher
  sets `proxy.timeTickInterval` to 50 ms; the server's default is 200 ms);
- **one show, episodes / + show_id**: a search filtered to one show's episodes (what the
  searcher sends), without and with the `show_id in [...]` term that prunes partitions;
- **build s**: from `create_index` to loaded; **server RSS**: the server process once loaded;
  **server disk**: its whole data folder then (raw rows, write-ahead log, and index files of
  the earlier builds that garbage collection has not removed yet, so it only grows).

Each size is one collection in a fresh server; sizes may come from separate runs (each says
when). Latencies were taken with other work on the same 2 cores (see the load averages): the
recall figures are exact, the milliseconds are an upper bound.
"""


def _size(block: dict[str, Any]) -> str:
    n = block["frames"]
    out = [
        f"## {n:,} frames ({block['dim']}-d, {block['episodes']:,} episodes, "
        f"{block['shows']:,} shows; IVF nlist {block['nlist']})",
        "",
        *([f"Measured {block['measured']}.", ""] if block.get("measured") else []),
        f"Insert: {num(block['insert_s'])} s, {num(block['insert_frames_per_s'], 0)} frames/s "
        "(MilvusStore.add per episode: a delete, then batches of up to 5,000 rows; one flush).",
        "",
    ]
    out.append(
        table(
            ["index", "build s", "server RSS MiB", "server disk MiB"],
            [
                [
                    b["index"],
                    num(b["build_s"]),
                    num(b.get("server_rss_mib"), 0),
                    num((b.get("server_disk_bytes") or 0) / 2**20, 0)
                    if b.get("server_disk_bytes")
                    else "–",
                ]
                for b in block["builds"]
                if "failed" not in b
            ],
        )
    )
    for b in block["builds"]:
        if "failed" in b:
            out.append(f"\n{b['index']}: the build failed: {b['failed']}\n")
    out.append("")
    out.append(
        table(
            [
                "index",
                "search param",
                "recall@10",
                "p50 ms",
                "p95 ms",
                "Strong p50 ms",
                "one show, episodes p50",
                "+ show_id p50",
            ],
            [
                [
                    r["index"],
                    "–" if r["knob"] == "-" else f"{r['knob']}={r['value']}",
                    f"{r['recall10']:.4f}",
                    num(r["p50_ms"], 2),
                    num(r["p95_ms"], 2),
                    num(r.get("strong_p50_ms"), 1),
                    num(r["episode_filter_p50_ms"], 2),
                    num(r["show_filter_p50_ms"], 2),
                ]
                for r in block["runs"]
            ],
        )
    )
    return "\n".join(out)


def render(data: dict[str, Any]) -> str:
    parts = [header("Milvus server at scale: index types", data["run"], NOTES)]
    parts += [_size(block) for block in data["sizes"]]
    return "\n\n".join(parts) + "\n"
