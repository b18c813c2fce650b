"""fastnn's thread pool: sizing, results independent of thread count, fork safety, torch interleaving."""
import os

import numpy as np
import pytest
import torch

import fastnn
from helpers import mixed_values, run_python


@pytest.fixture
def restore_threads():
    n = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(n)


def test_default_is_the_cpus_this_process_may_use():
    r = run_python("import fastnn; print(fastnn.get_num_threads())")
    assert int(r.stdout) == len(os.sched_getaffinity(0))
    r = run_python("import os, fastnn; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
                   "print(fastnn.get_num_threads())")
    assert r.returncode == 0, r.stderr
    # the probe runs at first use, after the affinity change
    assert int(r.stdout) == 1


@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_results_do_not_depend_on_thread_count(n, restore_threads):
    fastnn.set_num_threads(n)
    assert fastnn.get_num_threads() == n
    for size in (1, 16384, 16385, 100_000, 1_000_003):
        x = mixed_values(size, np.float32, seed=size)
        want = torch.relu(torch.from_numpy(x)).numpy()
        assert fastnn.ops.relu(x).tobytes() == want.tobytes()


def test_set_num_threads_rejects_bad_values(restore_threads):
    with pytest.raises(ValueError, match="expected a number of threads >= 1, got 0"):
        fastnn.set_num_threads(0)
    with pytest.raises(ValueError):
        fastnn.set_num_threads(-3)
    with pytest.raises(TypeError, match="expected an int, got str"):
        fastnn.set_num_threads("2")
    with pytest.raises(TypeError):
        fastnn.set_num_threads(2.0)


def test_fork_after_the_pool_ran_does_not_hang():
    """A child forked after the parent used the pool (a DataLoader worker) builds its own pool."""
    r = run_python("""
        import os, numpy as np, fastnn
        fastnn.set_num_threads(4)
        x = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
        fastnn.ops.relu(x)                        # the pool's workers exist now
        pids = []
        for i in range(3):
            pid = os.fork()
            if pid == 0:
                ok = np.array_equal(fastnn.ops.relu(x), np.maximum(x, 0))
                fastnn.set_num_threads(2)
                ok = ok and np.array_equal(fastnn.ops.relu(x), np.maximum(x, 0))
                os._exit(0 if ok else 3)
            pids.append(pid)
        codes = [os.waitpid(p, 0)[1] for p in pids]
        ok = np.array_equal(fastnn.ops.relu(x), np.maximum(x, 0))
        print(codes, ok)
    """, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[0, 0, 0] True"


def _libgomp_loaded() -> bool:
    with open("/proc/self/maps") as f:
        return "libgomp" in f.read()


def test_backend_is_torchs_openmp_team_when_torch_loaded_it():
    if not _libgomp_loaded():
        pytest.skip("this torch build did not load libgomp")
    assert fastnn.cpu_info()["thread_backend"].startswith("libgomp team")
    r = run_python("import fastnn; print(fastnn.cpu_info()['thread_backend'])")
    assert r.stdout.strip() == "fastnn pool"  # no torch, no libgomp


def test_own_pool_with_torch_loaded_when_asked():
    r = run_python("""
        import torch, numpy as np, fastnn
        fastnn.set_num_threads(3)
        x = np.random.default_rng(0).standard_normal(1_000_003).astype(np.float32)
        x[::7] = np.nan
        ok = fastnn.ops.relu(x).tobytes() == torch.relu(torch.from_numpy(x)).numpy().tobytes()
        print(fastnn.cpu_info()["thread_backend"], ok)
    """, env={"FASTNN_OWN_POOL": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "fastnn pool True"


def test_fork_after_running_on_torchs_team():
    """A DataLoader-style worker forked after fastnn and torch both ran on libgomp's team."""
    r = run_python("""
        import os, numpy as np, torch, fastnn
        x = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
        t = torch.from_numpy(x)
        fastnn.ops.relu(x); torch.relu(t); fastnn.ops.relu(t)
        pid = os.fork()
        if pid == 0:
            ok = np.array_equal(fastnn.ops.relu(x), np.maximum(x, 0))
            os._exit(0 if ok and fastnn.cpu_info()["thread_backend"] == "fastnn pool" else 3)
        _, status = os.waitpid(pid, 0)
        print(status, fastnn.cpu_info()["thread_backend"].split()[0])
    """, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "libgomp" if "libgomp" in fastnn.cpu_info()["thread_backend"] else "fastnn"]


def test_interleaved_with_torch_ops(restore_threads):
    """torch's OpenMP pool and fastnn's pool alternate in one step, as in a training loop."""
    x = torch.randn(2_000_000)
    w = torch.randn(512, 512)
    for _ in range(20):
        y = fastnn.ops.relu(x)
        z = torch.mm(w, w)
        torch.testing.assert_close(y, torch.relu(x), rtol=0, atol=0)
    assert torch.isfinite(z).all()


class _OpsDataset(torch.utils.data.Dataset):
    """Items computed with fastnn ops inside the DataLoader's (forked) worker processes."""

    def __len__(self):
        return 16

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(256, 300, generator=g)
        w = torch.randn(64, 300, generator=g)
        return fastnn.ops.relu(fastnn.ops.linear(x, w, None)).sum(1), i


def test_dataloader_workers_run_fastnn_ops():
    """num_workers=2 (fork): fastnn ops in the workers complete (no hang) with the main process's results."""
    fastnn.ops.linear(torch.randn(256, 300), torch.randn(64, 300), None)  # the parent's pool ran first
    ds = _OpsDataset()
    want = {i: ds[i][0] for i in range(len(ds))}
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="fork",
                                         timeout=120)
    seen = 0
    for rows, idx in loader:
        for r, i in zip(rows, idx.tolist()):
            torch.testing.assert_close(r, want[i])
            seen += 1
    assert seen == len(ds)


def test_python_threads_calling_ops_at_once_get_correct_results(restore_threads):
    import threading

    errors = []

    def work(seed):
        g = torch.Generator().manual_seed(seed)
        for _ in range(10):
            x, w = torch.randn(64, 200, generator=g), torch.randn(50, 200, generator=g)
            try:
                torch.testing.assert_close(fastnn.ops.linear(x, w, None), x @ w.T, rtol=1e-4, atol=1e-4)
                torch.testing.assert_close(fastnn.ops.softmax(x, 1), torch.softmax(x, 1), rtol=1e-5, atol=1e-7)
            except AssertionError as e:
                errors.append(e)

    def resize():
        for n in (1, 2, 1, 2):
            fastnn.set_num_threads(n)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)] + [threading.Thread(target=resize)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors[0]
