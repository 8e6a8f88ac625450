"""The Ray runner: same bytes as the local runner, in input order, poisoned articles contained."""

from __future__ import annotations

import os
import pickle

import orjson
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from pipeline.config import ConfigError, load_config, registry  # noqa: E402
from pipeline.runners.local import run  # noqa: E402
from pipeline.runners.ray_runner import ShinbunActor, run_ray  # noqa: E402

from conftest import LIGHT_CONFIG, check_record  # noqa: E402

LIGHT = LIGHT_CONFIG

MARKER = "☣"
KILL = "☠"


class PoisonError(RuntimeError):
    pass


class RaisingRecogniser:
    """Raises on an article containing the marker (registered in the driver only: the runner
    has to carry the registration to the actors, which are other processes)."""

    name = "test:raise"
    version = "0"

    def __call__(self, doc):
        if MARKER in doc.article.text:
            raise PoisonError("poisoned article")
        return []


@registry.recognizers.register("test_raise")
def make_raising():
    return RaisingRecogniser()


class KillingRecogniser:
    """Kills its process outright (as a segfault or an OOM kill would) on the KILL marker."""

    name = "test:kill"
    version = "0"

    def __call__(self, doc):
        if KILL in doc.article.text:
            os._exit(13)
        return []


@registry.recognizers.register("test_kill")
def make_killing():
    return KillingRecogniser()


@registry.recognizers.register("test_initfail")
def make_failing():
    raise ConfigError("no model here")


@pytest.fixture(scope="module")
def ray_local():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


def write_synthetic(path, n, poison_at=(), marker=MARKER):
    """n short ja/zh articles with broken lines, missing/invalid text, blanks, extra fields."""
    with path.open("wb") as fh:
        for i in range(n):
            if i % 97 == 5:
                fh.write(b'{"id": "broken' + str(i).encode() + b'", "text": \n')
            elif i % 131 == 7:
                fh.write(orjson.dumps({"id": f"s{i}", "title": "no text"}) + b"\n")
            elif i % 211 == 9:
                fh.write(orjson.dumps({"id": f"s{i}", "text": 42}) + b"\n")
            elif i % 307 == 11:
                fh.write(b'{"id": "bad-utf8", "text": "\xff\xfe"}\n')
            elif i % 401 == 13:
                fh.write(b"\n   \n")  # blank lines are not records
            elif i % 2:
                text = f"記事{i}。トヨタ自動車の豊田章男氏は{i % 28 + 1}日、東京で売上高{i}億円と発表した。"
                fh.write(orjson.dumps({"id": f"s{i}", "text": text + (marker if i in poison_at else ""),
                                       "source": "synthetic", "n": i}) + b"\n")
            else:
                text = f"第{i}条新闻。阿里巴巴{i % 12 + 1}月{i % 28 + 1}日在杭州公布营收{i}亿元，增长{i % 50}%。"
                fh.write(orjson.dumps({"id": f"s{i}", "text": text + (marker if i in poison_at else ""),
                                       "lang": "zh" if i % 4 else None}) + b"\n")


def light_config(tmp_path, text: str = LIGHT):
    """The config ``text`` (LIGHT plus extras), written to a file and loaded as runs load it."""
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(text)
    return load_config(cfg_path)


def concat_parts(manifest, out_dir) -> bytes:
    return b"".join((out_dir / p["file"]).read_bytes() for p in manifest["partitions"])


def test_same_bytes_as_local_runner(ray_local, tmp_path, sample_path):
    cfg = light_config(tmp_path, LIGHT)
    src = tmp_path / "synthetic.jsonl"
    write_synthetic(src, 2500)
    inputs = [sample_path, src]
    local_out = tmp_path / "local.jsonl"
    summary = run(cfg, inputs, local_out)
    out_dir = tmp_path / "ray"
    # two input files would be sharded by default (tests/runners/test_ray_shards.py): partitions asked for
    manifest = run_ray(cfg, inputs, out_dir, num_actors=2, batch_size=50, partition_size=700, shards=False)
    expected = local_out.read_bytes()
    assert concat_parts(manifest, out_dir) == expected
    n = expected.count(b"\n")
    assert manifest["records"] == n == summary.articles + summary.errors
    assert (manifest["articles"], manifest["errors"], manifest["characters"]) == (summary.articles, summary.errors, summary.characters)
    assert manifest["error_types"] == dict(summary.error_types) and manifest["errors"] > 40
    assert set(manifest["error_types"]) == {"read:InvalidJSON", "read:MissingText", "read:InvalidText", "read:InvalidUTF8"}
    assert manifest["config_hash"] == cfg.hash and manifest["versions"]["ray"] == ray.__version__
    parts = manifest["partitions"]
    assert [p["file"] for p in parts] == [f"part-{i:05d}.jsonl" for i in range(len(parts))] and len(parts) == -(-n // 700)
    assert parts[0]["first_position"] == 0 and parts[-1]["last_position"] == n - 1
    assert all(a["last_position"] + 1 == b["first_position"] for a, b in zip(parts, parts[1:]))
    assert orjson.loads((out_dir / "manifest.json").read_bytes()) == manifest
    recs = [orjson.loads(x) for x in expected.splitlines()]
    for rec in recs[:20] + recs[-50:]:
        check_record(rec)


def test_poisoned_article_becomes_error_record(ray_local, tmp_path):
    cfg = light_config(tmp_path, LIGHT + '[[recognizers]]\nfactory = "test_raise"\n')
    src = tmp_path / "in.jsonl"
    write_synthetic(src, 400, poison_at={21, 250})
    out_dir = tmp_path / "ray"
    (out_dir).mkdir()
    (out_dir / "part-00007.jsonl").write_text("stale\n")  # a previous run's partition is removed
    manifest = run_ray(cfg, [src], out_dir, num_actors=2, batch_size=16, partition_size=150)
    lines = concat_parts(manifest, out_dir).splitlines()
    assert not (out_dir / "part-00007.jsonl").exists()
    recs = [orjson.loads(x) for x in lines]
    poisoned = [r for r in recs if r.get("error", {}).get("type") == "PoisonError"]
    assert [r["id"] for r in poisoned] == ["s21", "s250"]
    assert all(r["error"]["stage"] == "entities" for r in poisoned)
    assert manifest["error_types"]["entities:PoisonError"] == 2
    local_out = tmp_path / "local.jsonl"
    run(cfg, [src], local_out)
    assert b"\n".join(lines) + b"\n" == local_out.read_bytes()


def test_article_that_kills_the_actor(ray_local, tmp_path):
    """The batch is retried, then re-run one article at a time; only the killer is lost (as locally)."""
    cfg = light_config(tmp_path, LIGHT + '[[recognizers]]\nfactory = "test_kill"\n')
    src = tmp_path / "in.jsonl"
    write_synthetic(src, 150, poison_at={41, 42}, marker=KILL)
    out_dir = tmp_path / "ray"
    manifest = run_ray(cfg, [src], out_dir, num_actors=1, batch_size=16, partition_size=60, task_retries=0)
    recs = [orjson.loads(x) for x in concat_parts(manifest, out_dir).splitlines()]
    crashed = [r["id"] for r in recs if r.get("error", {}).get("type") == "WorkerCrashed"]
    assert crashed == ["s41", "s42"]
    assert manifest["worker_crashes"] == 2 and manifest["recovered"] >= 2
    assert manifest["records"] == len(recs) == sum(p["records"] for p in manifest["partitions"])
    # Everything else is what the local runner writes (whose crash messages differ in wording).
    local_out = tmp_path / "local.jsonl"
    run(cfg, [src], local_out, workers=2, chunk_items=8)
    local = [orjson.loads(x) for x in local_out.read_bytes().splitlines()]
    for rec in (*recs, *local):
        if rec.get("error", {}).get("type") == "WorkerCrashed":
            rec["error"]["message"] = ""
    assert recs == local


def test_parquet_partitions(ray_local, tmp_path, sample_path):
    import pyarrow.parquet as pq

    cfg = light_config(tmp_path, LIGHT)
    src = tmp_path / "in.jsonl"
    write_synthetic(src, 120)
    local = tmp_path / "local.parquet"
    run(cfg, [sample_path, src], local)
    out_dir = tmp_path / "ray"
    manifest = run_ray(cfg, [sample_path, src], out_dir, fmt="parquet", num_actors=1, partition_size=50, shards=False)
    assert [p["file"] for p in manifest["partitions"]] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    rows = [r for p in manifest["partitions"] for r in pq.read_table(out_dir / p["file"]).to_pylist()]
    assert rows == pq.read_table(local).to_pylist()


def test_actor_guards_what_process_cannot(tmp_path):
    """Without Ray: the actor class turns a failure outside Pipeline.process into an error record."""
    import numpy as np

    from pipeline.record import Article

    cfg = light_config(tmp_path, LIGHT)
    actor = ShinbunActor(cfg.data, cfg.source)
    good = pickle.dumps(Article(id="x", text="東京で会議。", position=0))
    items = np.empty(2, dtype=object)
    items[:] = [good, b"not a pickle"]
    out = actor({"position": np.array([0, 1]), "item": items})
    assert list(out["position"]) == [0, 1]
    first, second = (orjson.loads(x) for x in out["record"])
    assert first["id"] == "x" and "error" not in first
    assert second["id"] == "position:1" and second["error"]["stage"] == "worker"


def test_bad_arguments_fail_before_ray(tmp_path, sample_path):
    with pytest.raises(ConfigError, match="no_such_recogniser"):
        run_ray(light_config(tmp_path, LIGHT.replace('factory = "numeric"', 'factory = "no_such_recogniser"')), [sample_path], tmp_path / "o")
    with pytest.raises(ConfigError, match="format"):
        run_ray(load_config(None), [sample_path], tmp_path / "o", fmt="csv")
    with pytest.raises(ConfigError, match="format"):
        run_ray(load_config(None), [sample_path], tmp_path / "o", fmt="jsonl.gz")  # partitions: jsonl or parquet
    with pytest.raises(ConfigError, match="resume needs the sharded layout"):
        run_ray(load_config(None), [sample_path], tmp_path / "o", resume=True)


def test_pipeline_that_cannot_be_built_in_the_actors(ray_local, tmp_path, sample_path):
    with pytest.raises(ConfigError, match="could not be built in a Ray actor.*no model here"):
        run_ray(light_config(tmp_path, LIGHT + '[[recognizers]]\nfactory = "test_initfail"\n'), [sample_path], tmp_path / "o", num_actors=1)


def test_missing_ray_message(monkeypatch):
    import sys

    from pipeline.runners.ray_runner import RayNotInstalledError, _import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayNotInstalledError, match=r"Ray is not installed: pip install 'shinbun\[ray\]'") as info:
        _import_ray()
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ImportError)


# --- stopping: SIGINT / SIGTERM in the driver ---------------------------------------------------

STOP = "⚡"


class SignalDriver:
    """On an article whose text holds ``⚡<pid>|<flag file>⚡``, sends SIGINT to that pid (the
    driver) once: the flag file makes a retried batch not send a second one."""

    name = "test:signal_driver"
    version = "0"

    def __call__(self, doc):
        import signal

        text = doc.article.text
        if STOP in text:
            pid, flag = text.split(STOP)[1].split("|")
            try:
                os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return []
            os.kill(int(pid), signal.SIGINT)
        return []


@registry.recognizers.register("test_signal_driver")
def make_signal_driver():
    return SignalDriver()


def test_interrupt_cancels_the_dataset_and_leaves_a_running_ray_alone(ray_local, tmp_path):
    """SIGINT while the stream runs: Interrupted with the count of records written, no manifest,
    and the Ray instance that was already running stays up with its CPUs free again (the next run
    needs both for its two actors, so it would wait forever for a pool that was not cancelled)."""
    from pipeline.io.readers import read_articles
    from pipeline.runners.local import Interrupted, stop_on_signals

    cfg = light_config(tmp_path, LIGHT + '[[recognizers]]\nfactory = "test_signal_driver"\n')
    src = tmp_path / "in.jsonl"
    write_synthetic(src, 600)
    lines = src.read_bytes().splitlines(keepends=True)
    rec = orjson.loads(lines[201])
    rec["text"] += f"{STOP}{os.getpid()}|{tmp_path / 'sent'}{STOP}"
    lines[201] = orjson.dumps(rec) + b"\n"
    src.write_bytes(b"".join(lines))
    out_dir = tmp_path / "ray"
    with stop_on_signals(), pytest.raises(Interrupted) as info:
        run_ray(cfg, [src], out_dir, num_actors=2, batch_size=16, partition_size=500)
    assert (tmp_path / "sent").exists()
    written = b"".join(p.read_bytes() for p in sorted(out_dir.glob("part-*.jsonl")))
    n = written.count(b"\n")
    assert info.value.exit_code == 130 and n < sum(1 for _ in read_articles([src]))
    assert info.value.line == (f"interrupted: {n} records written to {out_dir} (no manifest.json: the output is "
                               "incomplete); run again to process everything")
    assert info.value.summary.articles + info.value.summary.errors == n
    assert not (out_dir / "manifest.json").exists()
    assert ray.is_initialized()
    small = tmp_path / "small.jsonl"
    write_synthetic(small, 40)
    manifest = run_ray(light_config(tmp_path, LIGHT), [small], tmp_path / "again", num_actors=2, batch_size=16)
    assert manifest["records"] == sum(1 for _ in read_articles([small]))


def test_ctrl_c_stops_a_ray_it_started(tmp_path, sample_path):
    """`shinbun run --engine ray` started its own Ray: Ctrl-C to the process group shuts it all
    down (Ray's processes are in the group), with one line and status 130."""
    import signal
    import subprocess
    import sys

    from test_signals import live_in_group, wait_until

    src = tmp_path / "in.jsonl"
    samples = [orjson.loads(x) for x in sample_path.read_bytes().splitlines()]
    src.write_bytes(b"".join(orjson.dumps(dict(s, id=f"{s['id']}-{i}")) + b"\n"
                             for i in range(600) for s in [samples[i % len(samples)]]))
    out_dir = tmp_path / "ray"
    part = out_dir / "part-00000.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(src), "-o", str(out_dir), "--engine", "ray",
                             "-w", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert wait_until(lambda: part.exists() and part.read_bytes().count(b"\n") >= 10, timeout=120, step=0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert wait_until(lambda: not live_in_group(proc.pid), timeout=10, step=0.1), live_in_group(proc.pid)
    finally:
        if proc.poll() is None or live_in_group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = err.decode()
    n = part.read_bytes().count(b"\n")
    assert proc.returncode == 130 and 0 < n < 600
    assert "Traceback" not in err, err
    assert (f"shinbun: interrupted: {n} records written to {out_dir} (no manifest.json: the output is incomplete); "
            "run again to process everything\n") in err
    assert not (out_dir / "manifest.json").exists()
