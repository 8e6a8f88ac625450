"""The Ray runner's sharded layout on a two-node Ray cluster started here (ray.cluster_utils):
every output shard is the local runner's bytes for its input shard, whichever node wrote it; a
killed actor's shard is redone; an article that kills its actor again and again is an error
record in its place; a driver killed with SIGKILL leaves shards that a resumed run keeps."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from ray.cluster_utils import Cluster  # noqa: E402

from pipeline.config import load_config, registry  # noqa: E402
from pipeline.runners.local import Interrupted, run, stop_on_signals  # noqa: E402
from pipeline.runners.ray_runner import run_ray  # noqa: E402
from pipeline.runners.ray_shards import list_shards  # noqa: E402
from tests.conftest import LIGHT_CONFIG  # noqa: E402

KILL = "☠"
KILL_ONCE = "⚡"


class Killer:
    """``os._exit`` (as a segfault or an OOM kill) on an article holding ☠, always; on one holding
    ⚡<flag file>⚡, only while the flag file does not exist yet (it is created first)."""

    name = "test:killer"
    version = "0"

    def __call__(self, doc):
        text = doc.article.text
        if KILL in text:
            os._exit(13)
        if KILL_ONCE in text:
            flag = text.split(KILL_ONCE)[1]
            try:
                os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return []
            os._exit(13)
        return []


@registry.recognizers.register("test_shard_killer")
def make_killer():
    return Killer()


@pytest.fixture(scope="module")
def cluster():
    """Two Ray nodes on this machine, one CPU each: two actors land on different nodes."""
    if ray.is_initialized():
        ray.shutdown()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def config(tmp_path: Path, extra: str = ""):
    path = tmp_path / "cfg.toml"
    path.write_text(LIGHT_CONFIG + extra)
    return load_config(path)


def article(i: int, tag: str) -> dict:
    if i % 2:
        return {"id": f"{tag}-{i}", "text": f"記事{i}。トヨタ自動車の豊田章男氏は{i % 28 + 1}日、東京で売上高{i}億円と発表した。",
                "source": tag, "n": i}
    return {"id": f"{tag}-{i}", "text": f"第{i}条新闻。阿里巴巴{i % 12 + 1}月{i % 28 + 1}日在杭州公布营收{i}亿元，增长{i % 50}%。",
            "lang": "zh" if i % 4 else None}


def jsonl(rows: list[dict], broken_every: int = 0) -> bytes:
    out = []
    for k, r in enumerate(rows):
        out.append(orjson.dumps(r) + b"\n")
        if broken_every and k % broken_every == 3:
            out.append(b'{"id": "broken", "text": \n')  # an error record in place
            out.append(b'{"id": "no-text"}\n')
    return b"".join(out)


def mixed_shards(folder: Path, n: int = 40) -> None:
    """Shards in every input format the reader knows by content or suffix: JSONL, .jsonl.gz,
    .jsonl.zst, Parquet (with a column that goes to meta), in a nested folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    (folder / "b").mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(jsonl([article(i, "a") for i in range(n)], broken_every=7))
    (folder / "b" / "c.jsonl.gz").write_bytes(gzip.compress(jsonl([article(i, "c") for i in range(n)], broken_every=11)))
    (folder / "b" / "d.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(jsonl([article(i, "d") for i in range(n)])))
    rows = [article(i, "e") for i in range(n)]
    pq.write_table(pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows],
                             "n": list(range(n))}), folder / "e.parquet")


def local_bytes(cfg, shard: str, out: Path) -> bytes:
    run(cfg, [shard], out)
    return out.read_bytes()


def test_shards_are_the_local_runners_bytes_on_both_nodes(cluster, tmp_path):
    import pyarrow.parquet as pq

    cfg = config(tmp_path)
    src = tmp_path / "in"
    mixed_shards(src)
    shards = list_shards([str(src)])
    # the local runner's order for a folder: its files sorted, then its subfolders'
    assert [Path(s.uri).relative_to(src).as_posix() for s in shards] == ["a.jsonl", "e.parquet", "b/c.jsonl.gz", "b/d.jsonl.zst"]
    out = tmp_path / "out"
    manifest = run_ray(cfg, [src], out, num_actors=2)  # a folder of several files: sharded by default
    assert manifest["layout"] == "shards" and [s["file"] for s in manifest["shards"]] == [f"shard-{i:05d}.jsonl" for i in range(4)]
    assert len({s["node"] for s in manifest["shards"]}) == 2  # one-CPU nodes: each actor on its own node
    total = 0
    for shard, entry in zip(shards, manifest["shards"]):
        expected = local_bytes(cfg, shard.uri, tmp_path / "local.jsonl")
        assert (out / entry["file"]).read_bytes() == expected, entry
        assert entry["records"] == expected.count(b"\n") and entry["input"] == shard.uri
        total += entry["records"]
    assert manifest["records"] == total and manifest["error_types"] == {"read:InvalidJSON": 10, "read:MissingText": 10}
    with_meta = orjson.loads((out / "shard-00001.jsonl").read_bytes().splitlines()[5])
    assert with_meta["id"] == "e-5" and with_meta["meta"]["input"] == {"n": 5}  # a Parquet column kept in meta
    # The driver got one small summary per shard, nothing per record.
    assert manifest["driver"]["events"] == 4 and manifest["driver"]["bytes_received"] < 4 * 1500
    assert orjson.loads((out / "manifest.json").read_bytes()) == manifest
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json"] + [f"shard-{i:05d}{s}" for i in range(4) for s in (".jsonl", ".summary.json")])

    # Parquet shards hold the local runner's Parquet rows.
    pout = tmp_path / "pout"
    pm = run_ray(cfg, [src / "a.jsonl", src / "e.parquet"], pout, fmt="parquet", num_actors=2)
    for name, entry in zip(["a.jsonl", "e.parquet"], pm["shards"]):
        run(cfg, [src / name], tmp_path / "local.parquet")
        assert pq.read_table(pout / entry["file"]).to_pylist() == pq.read_table(tmp_path / "local.parquet").to_pylist()


def test_uris_globs_and_compressed_output(cluster, tmp_path):
    """file:// URIs go through pyarrow.fs as s3:// or gs:// would (input copied to the worker,
    output uploaded then renamed); a glob picks the shards; .jsonl.gz output is deterministic."""
    cfg = config(tmp_path)
    src = tmp_path / "in"
    mixed_shards(src, n=20)
    out_uri = f"file://{tmp_path}/out"
    manifest = run_ray(cfg, [f"file://{src}/b/*.jsonl*"], out_uri, fmt="jsonl.gz", num_actors=2)
    assert [s["input"] for s in manifest["shards"]] == [f"file://{src}/b/c.jsonl.gz", f"file://{src}/b/d.jsonl.zst"]
    first = []
    for name, entry in zip(["c.jsonl.gz", "d.jsonl.zst"], manifest["shards"]):
        data = (tmp_path / "out" / entry["file"]).read_bytes()
        first.append(data)
        assert entry["file"].endswith(".jsonl.gz")
        assert gzip.decompress(data) == local_bytes(cfg, str(src / "b" / name), tmp_path / "local.jsonl")
    again = run_ray(cfg, [f"file://{src}/b/*.jsonl*"], out_uri, fmt="jsonl.gz", num_actors=1)
    assert [(tmp_path / "out" / e["file"]).read_bytes() for e in again["shards"]] == first
    # Resume keeps shards written with the same config, and writes again those of another one.
    assert run_ray(cfg, [f"file://{src}/b/*.jsonl*"], out_uri, fmt="jsonl.gz", resume=True)["resumed_shards"] == 2
    other = config(tmp_path, "[[recognizers]]\nfactory = \"jieba_pos\"\nlangs = [\"zh\"]\n")
    assert other.hash != cfg.hash
    assert run_ray(other, [f"file://{src}/b/*.jsonl*"], out_uri, fmt="jsonl.gz", resume=True)["resumed_shards"] == 0
    with pytest.raises(OSError, match="no input file matches"):
        run_ray(cfg, [f"file://{src}/*.nothing"], out_uri)


def test_killed_actor_is_retried_and_a_repeated_killer_becomes_an_error_record(cluster, tmp_path):
    cfg = config(tmp_path, '[[recognizers]]\nfactory = "test_shard_killer"\n')
    src = tmp_path / "in"
    src.mkdir()
    flag = tmp_path / "killed-once"
    once = [article(i, "once") for i in range(60)]
    once[37]["text"] += f"{KILL_ONCE}{flag}{KILL_ONCE}"
    always = [article(i, "always") for i in range(60)]
    always[20]["text"] += KILL
    (src / "once.jsonl").write_bytes(jsonl(once))
    (src / "always.jsonl").write_bytes(jsonl(always, broken_every=9))
    out = tmp_path / "out"
    manifest = run_ray(cfg, [src / "once.jsonl", src / "always.jsonl"], out, num_actors=2)
    assert flag.exists()
    # The actor killed once: its shard was done again, and nothing in it is an error.
    assert (out / "shard-00000.jsonl").read_bytes() == local_bytes(cfg, str(src / "once.jsonl"), tmp_path / "l0.jsonl")
    # The articles that kill every time are WorkerCrashed records in their places (as with the
    # local runner, whose message differs); everything else is the local runner's bytes.
    recs = [orjson.loads(x) for x in (out / "shard-00001.jsonl").read_bytes().splitlines()]
    crashed = [r["id"] for r in recs if r.get("error", {}).get("type") == "WorkerCrashed"]
    assert crashed == ["always-20"]
    assert manifest["worker_crashes"] == 1 and manifest["shards"][1]["errors"] == 1 + 2 * 7
    run(cfg, [src / "always.jsonl"], tmp_path / "l1.jsonl", workers=2, chunk_items=8)
    local = [orjson.loads(x) for x in (tmp_path / "l1.jsonl").read_bytes().splitlines()]
    for rec in (*recs, *local):
        if rec.get("error", {}).get("type") == "WorkerCrashed":
            rec["error"]["message"] = ""
    assert recs == local


def test_resume_after_the_driver_is_killed(cluster, tmp_path):
    """`shinbun run --engine ray --shards` as a subprocess driver on the cluster, SIGKILLed once
    some shards are written; a resumed run keeps those and writes the rest."""
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(LIGHT_CONFIG)
    cfg = load_config(cfg_path)
    src = tmp_path / "in"
    src.mkdir()
    n_shards = 10
    for k in range(n_shards):
        (src / f"s{k:02d}.jsonl").write_bytes(jsonl([article(i, f"s{k}") for i in range(120)]))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(src), "-o", str(out), "--engine", "ray",
                             "--address", cluster.address, "-c", str(cfg_path), "-w", "2", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("*.summary.json")) and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        _, err = proc.communicate()
    # The killed driver's actors live on until Ray reaps them and may still finish a shard: list
    # the written shards once their CPUs are free again, so none lands after the listing.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ray.available_resources().get("CPU", 0) < ray.cluster_resources().get("CPU", 0):
        time.sleep(0.05)
    written = sorted(p.name for p in out.glob("*.summary.json"))
    assert proc.returncode == -signal.SIGKILL, err.decode()
    assert 1 <= len(written) < n_shards and not (out / "manifest.json").exists()
    before = {name: (out / name).read_bytes() for name in written}
    # A shard output cut short (a copy that failed half-way) does not match its summary: written again.
    cut = written[0].replace(".summary.json", ".jsonl")
    (out / cut).write_bytes((out / cut).read_bytes()[:1000])
    (out / "shard-00099.jsonl.0123.tmp").write_bytes(b"half")
    manifest = run_ray(cfg, [src], out, num_actors=2, resume=True)
    assert manifest["resumed_shards"] == len(written) - 1
    assert {name: (out / name).read_bytes() for name in written[1:]} == {k: v for k, v in before.items() if k != written[0]}
    for k, entry in enumerate(manifest["shards"]):
        assert (out / entry["file"]).read_bytes() == local_bytes(cfg, str(src / f"s{k:02d}.jsonl"), tmp_path / "l.jsonl")
    assert not list(out.glob("*.tmp")) and manifest["records"] == 120 * n_shards


def test_interrupt_kills_the_workers_and_keeps_finished_shards(cluster, tmp_path):
    """SIGINT in the driver: Interrupted says how many shards were written and how to go on; no
    manifest; the cluster's CPUs are free again for the resumed run."""
    cfg = config(tmp_path)
    src = tmp_path / "in"
    src.mkdir()
    for k in range(6):
        (src / f"s{k}.jsonl").write_bytes(jsonl([article(i, f"s{k}") for i in range(80)]))
    out = tmp_path / "out"
    import threading

    def interrupt_after_first_shard():
        while not list(out.glob("*.summary.json")):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=interrupt_after_first_shard, daemon=True)
    with stop_on_signals(), pytest.raises(Interrupted) as info:
        t.start()
        run_ray(cfg, [src], out, num_actors=2)
    t.join(timeout=10)
    n = len(list(out.glob("*.summary.json")))
    assert info.value.exit_code == 130 and 1 <= n < 6
    # The line counts the shards the driver knew of; others may have been completing as it stopped.
    m = re.fullmatch(rf"interrupted: (\d) of 6 shards written to {re.escape(str(out))} \(no manifest.json: the output is "
                     r"incomplete\); run again with --resume to process the rest", info.value.line)
    assert m and n - 2 <= int(m.group(1)) <= n, info.value.line  # two actors: up to two in flight
    assert not (out / "manifest.json").exists()
    # a shard an actor was finishing as the driver stopped may still land (a whole shard, renamed
    # into place): the resumed run keeps exactly the shards complete when it starts
    time.sleep(1)
    done = len(list(out.glob("*.summary.json")))
    assert n <= done <= min(n + 2, 6)  # two actors: at most two shards in flight
    manifest = run_ray(cfg, [src], out, num_actors=2, resume=True)
    assert manifest["resumed_shards"] == done and manifest["records"] == 6 * 80


def test_an_unavailable_worker_is_no_death_but_a_careful_rerun_and_has_a_limit():
    """Ray's "unavailable" (the call may or may not have run) counts no death and marks no article;
    the shard is run again reporting each chunk; past MAX_UNAVAILABLE the run fails in one line."""
    from pipeline.runners.ray_common import MAX_UNAVAILABLE
    from pipeline.runners.ray_shards import _died, _Job, _unavailable

    job = _Job({"input": "in/a.jsonl"})
    job.last = ("chunk", 16, 31)
    for _ in range(MAX_UNAVAILABLE):
        _unavailable(job, RuntimeError("unavailable"))
    assert job.careful and job.blind_deaths == 0 and not job.isolate and not job.crashed
    with pytest.raises(RuntimeError, match=rf"in/a\.jsonl was unavailable {MAX_UNAVAILABLE + 1} times"):
        _unavailable(job, RuntimeError("unavailable"))
    # a death, by contrast, isolates the chunk it happened in
    assert _died(job, task_retries=2) == 0 and job.isolate == {16}
