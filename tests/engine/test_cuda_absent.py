"""engine.cuda and engine.backends without a GPU (this machine), plus real cupy-path tests marked gpu."""

import numpy as np
import pytest

import engine
import engine.backends
import engine.cuda as cuda
from engine import backend

HAS_GPU = cuda.is_available()
NO_CUPY = backend.cupy_module() is None
needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU, reason="needs cupy and a CUDA device")]
needs_no_cupy = pytest.mark.skipif(not NO_CUPY, reason="checks the behaviour without cupy")


# ------------------------------------------------------------------------------- no cupy / GPU ------
@needs_no_cupy
def test_queries_answer_without_cuda():
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert cuda.is_initialized() is False
    assert cuda.is_bf16_supported() is False
    assert cuda.memory_allocated() == 0 and cuda.max_memory_allocated() == 0 and cuda.memory_reserved() == 0
    cuda.empty_cache()
    cuda.manual_seed(1)  # torch seeds lazily: no error without CUDA
    cuda.manual_seed_all(1)
    cuda.seed()


@needs_no_cupy
@pytest.mark.parametrize("call", [
    cuda.current_device, cuda.get_device_name, lambda: cuda.get_device_properties(0),
    cuda.get_device_capability, cuda.synchronize, cuda.mem_get_info, cuda.initial_seed,
    cuda.get_rng_state, lambda: cuda.set_device(0), cuda.reset_peak_memory_stats,
])
def test_gpu_calls_raise_torch_error(call):
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        call()


@needs_no_cupy
def test_tensors_on_cuda_raise_clear_error():
    assert engine.device("cuda") == engine.device("cuda")  # constructing the device is fine, like torch
    assert repr(engine.device("cuda:1")) == "device(type='cuda', index=1)"
    for make in (lambda: engine.zeros(2, device="cuda"), lambda: engine.tensor([1.0], device="cuda"),
                 lambda: engine.rand(2, device="cuda"), lambda: engine.arange(3, device="cuda:0"),
                 lambda: engine.ones(2).cuda(), lambda: engine.ones(2).to("cuda")):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            make()


@needs_no_cupy
def test_cuda_device_context_and_generator():
    ctx = cuda.device(0)  # constructing is fine; entering needs CUDA
    with pytest.raises(RuntimeError, match="PyTorch was compiled without CUDA support"):
        ctx.__enter__()
    with cuda.device(None):
        pass
    with pytest.raises(RuntimeError, match="Cannot get CUDA generator"):
        engine.Generator("cuda")


def test_backends_flags():
    cudnn = engine.backends.cudnn
    assert cudnn.is_available() is False and cudnn.version() is None
    assert cudnn.enabled is True and cudnn.benchmark is False and cudnn.deterministic is False
    old = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert engine.backends.cudnn.benchmark and engine.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = old
    assert engine.backends.mps.is_available() is False and engine.backends.mps.is_built() is False
    engine.backends.cuda.matmul.allow_tf32 = False
    assert engine.backends.cuda.is_built() is (not NO_CUPY)


# ---------------------------------------------------------------------------------- real GPU --------
class TestOnGpu:
    pytestmark = needs_gpu

    def test_create_move_back(self):
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        t = engine.tensor(a, device="cuda")
        assert t.device.type == "cuda" and t.is_cuda
        assert np.array_equal(t.cpu().numpy(), a)
        z = engine.zeros(2, 3, device="cuda")
        assert z.device == engine.device("cuda", 0) and np.all(z.cpu().numpy() == 0)
        assert engine.arange(5, device="cuda").cpu().tolist() == [0, 1, 2, 3, 4]
        assert engine.eye(3, device="cuda").cpu().tolist() == np.eye(3).tolist()
        assert engine.full((2,), 7.0, device="cuda").cpu().tolist() == [7.0, 7.0]
        like = engine.zeros_like(t)
        assert like.is_cuda and like.shape == (2, 3)

    def test_random_on_gpu_is_seeded(self):
        engine.manual_seed(3)
        a = engine.randn(1000, device="cuda")
        engine.manual_seed(3)
        b = engine.randn(1000, device="cuda")
        assert a.is_cuda and np.array_equal(a.cpu().numpy(), b.cpu().numpy())
        u = engine.rand(10000, device="cuda").cpu().numpy()
        assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
        r = engine.randint(0, 5, (1000,), device="cuda").cpu().numpy()
        assert r.min() == 0 and r.max() == 4
        p = engine.randperm(20, device="cuda").cpu().tolist()
        assert sorted(p) == list(range(20))
        w = engine.empty(1000, device="cuda").normal_(0, 1)
        assert w.is_cuda and abs(float(w.cpu().numpy().std()) - 1) < 0.1
        m = engine.multinomial(engine.tensor([0.0, 1.0], device="cuda"), 5, True)
        assert m.cpu().tolist() == [1] * 5

    def test_cuda_state_round_trip(self):
        state = cuda.get_rng_state()
        a = engine.rand(100, device="cuda").cpu().numpy()
        cuda.set_rng_state(state)
        assert np.array_equal(a, engine.rand(100, device="cuda").cpu().numpy())

    def test_queries(self):
        assert cuda.device_count() >= 1 and cuda.current_device() == 0
        props = cuda.get_device_properties(0)
        assert props.total_memory > 0 and isinstance(cuda.get_device_name(), str)
        assert cuda.get_device_capability() == (props.major, props.minor)
        free, total = cuda.mem_get_info()
        assert 0 < free <= total
        x = engine.zeros(1024, 1024, device="cuda")
        assert cuda.memory_allocated() >= x.numel() * 4
        assert cuda.max_memory_allocated() >= cuda.memory_allocated()
        cuda.synchronize()
        del x
        cuda.empty_cache()
        with cuda.device(0):
            assert cuda.current_device() == 0

    def test_dlpack_on_gpu(self):
        t = engine.arange(4.0, device="cuda")
        back = engine.from_dlpack(t._data)
        assert back.is_cuda and back.cpu().tolist() == [0.0, 1.0, 2.0, 3.0]
