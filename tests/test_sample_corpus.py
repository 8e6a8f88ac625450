"""corpora/sample.jsonl is what scripts/data/make_sample.py writes, byte for byte."""

from scripts.data import make_sample


def test_the_sample_is_regenerated_exactly(tmp_path, sample_path):
    out = tmp_path / "sample.jsonl"
    make_sample.write(out)
    assert out.read_bytes() == sample_path.read_bytes()
    assert make_sample.SAMPLE == sample_path
