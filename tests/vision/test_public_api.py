"""The curated public surface of vision/ (guarded like httpx's tests/test_exported_members.py)."""

import sys

import vision


def test_all_names_resolve_and_are_documented():
    for name in vision.__all__:
        obj = getattr(vision, name)
        assert obj is not None
        if callable(obj):
            assert obj.__doc__, name


def test_importing_vision_does_not_load_onnxruntime_or_torch():
    import subprocess

    code = "import sys, vision; print(sorted(m for m in ('onnxruntime', 'torch', 'ultralytics') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
