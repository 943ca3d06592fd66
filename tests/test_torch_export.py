import dataclasses
import io

import numpy as np
import pytest
from _networks import fitted

from constructions import NetworkConfig, continuous, linformer, masked, performer, sparse, targets, transformer
from constructions._networks import torch_support as _torch_support
from polyapprox import PolyapproxError, ShapeError
from polyapprox.internal import DomainError

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)

torch = pytest.importorskip(
    "torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"'
)

BUILDERS = {
    "softmax": lambda S, ff, **kw: transformer.from_sumformer(S, 3, ff, m_relu=2, **kw),
    "linformer": lambda S, ff, **kw: linformer.from_sumformer(S, 3, 2, config=NetworkConfig(ff=ff, m_relu=2, **kw)),
    "performer": lambda S, ff, **kw: performer.from_sumformer(S, 3, 4, config=NetworkConfig(ff=ff, m_relu=2, **kw)),
    "performer-trig": lambda S, ff, **kw: performer.from_sumformer(
        S, 3, 4, features="trig", config=NetworkConfig(ff=ff, m_relu=2, **kw)
    ),
    "masked-softmax": lambda S, ff, **kw: masked.from_sumformer(
        S, 3, sparse.patterns.tridiagonal(3), allow_partial=True, config=NetworkConfig(ff=ff, m_relu=2, **kw)
    ),
}
CASES = [(kind, ff) for kind in BUILDERS for ff in ("exact", "relu")]


@pytest.fixture(scope="module")
def S():
    return fitted(n=3, d=2, degree=2)


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize(
    "build",
    [
        lambda S: transformer.from_sumformer(S, 3, ff="relu", m_relu=3),
        lambda S: transformer.from_sumformer(S, 3),
        lambda S: linformer.from_sumformer(S, 3, 2, config=NetworkConfig(ff="relu", m_relu=2)),
        lambda S: performer.from_sumformer(S, 3, 8, features="trig", config=NetworkConfig(ff="relu", m_relu=2)),
        lambda S: performer.from_sumformer(S, 3, 8, config=NetworkConfig(random_query=True)),
    ],
)
def test_torch_parity_float64(build, rng):
    S = fitted(n=3, d=2, degree=2)
    net = build(S)
    module = net.to_torch()
    X = rng.uniform(size=(9, 3, 2))
    out = module(torch.tensor(X, dtype=torch.float64))
    assert out.dtype == torch.float64
    assert np.abs(out.detach().numpy() - net(X)).max() <= 1e-12
    assert np.abs(module(torch.tensor(X[0])).detach().numpy() - net(X[0])).max() <= 1e-12
    assert isinstance(module, torch.nn.Module)


@pytest.mark.parametrize("kind, ff", CASES)
def test_every_kind_and_mode_parity_and_structure(S, kind, ff, rng):
    net = BUILDERS[kind](S, ff)
    module = net.to_torch()
    X = rng.uniform(size=(6, 3, 2))
    assert np.abs(_np(module(torch.tensor(X))) - net(X)).max() <= 1e-12
    assert (
        type(module).__module__ == "constructions._networks.torch_modules"
        and type(module).__qualname__ == "TorchNetwork"
    )
    assert list(module.stages) == ["embed", "ff1", "attn", "ff2", "readout"]
    params = dict(module.named_parameters())
    assert all(p.dtype == torch.float64 for p in params.values())
    for name in ("W_Q", "W_K", "W_V", "W_O"):  # attention projections are parameters, transposed nn.Linear weights
        np.testing.assert_array_equal(_np(params[f"stages.attn.body.{name}.weight"]).T, net.weights[f"attn.{name}"])
    assert any(isinstance(m, torch.nn.Linear) for m in module.modules())
    if ff == "relu":
        assert any(isinstance(m, torch.nn.ReLU) for m in module.stages["ff2"].modules())
        np.testing.assert_array_equal(_np(params["stages.ff2.body.layer0.weight"]).T, net.weights["ff2.mlp.layer0.W"])
    else:
        state = module.state_dict()
        assert state["stages.ff2.body.map.monomials.exponents"].dtype == torch.int64
        assert "stages.ff2.body.map.coefficients" in params
        np.testing.assert_array_equal(state["stages.ff1.body.map.exponents"].numpy(), np.array(S.indices))
    frozen = net.to_torch(trainable=False)
    assert not list(frozen.parameters()) and len(frozen.state_dict()) == len(module.state_dict())
    assert np.abs(_np(frozen(torch.tensor(X))) - net(X)).max() <= 1e-12


@pytest.mark.parametrize(
    "kind, ff", [("softmax", "exact"), ("linformer", "relu"), ("performer", "exact"), ("masked-softmax", "relu")]
)
def test_every_parameter_gets_a_gradient_except_the_qk_saddle(S, kind, ff, rng):
    net = BUILDERS[kind](S, ff)
    module = net.to_torch()
    module(torch.tensor(rng.uniform(size=(4, 3, 2)))).pow(2).sum().backward()
    saddle = {"stages.attn.body.W_Q.weight", "stages.attn.body.W_K.weight"} if kind != "performer" else set()
    if kind == "linformer":
        saddle.add("stages.attn.body.E")  # E only acts on the keys E Z W_K = 0
    for name, p in module.named_parameters():
        assert p.grad is not None, name
        if name in saddle:
            # W_Q = W_K = 0: every logit is q . k = 0 and its derivative in W_Q (resp. W_K) is a multiple of
            # K = 0 (resp. Q = 0), so both gradients vanish: a saddle that plain gradient descent never leaves
            assert torch.count_nonzero(p.grad) == 0, name
        else:
            assert torch.count_nonzero(p.grad) > 0, name


def test_random_query_breaks_the_saddle_for_w_k(S, rng):
    module = transformer.from_sumformer(S, 3, random_query=True, d_k=2).to_torch()
    module(torch.tensor(rng.uniform(size=(4, 3, 2)))).pow(2).sum().backward()
    attn = module.stages["attn"].body
    assert torch.count_nonzero(attn.W_K.weight.grad) > 0  # dL/dW_K involves Q != 0
    assert torch.count_nonzero(attn.W_Q.weight.grad) == 0  # dL/dW_Q is a multiple of K = 0


@pytest.mark.parametrize(
    "kind, ff",
    [
        ("softmax", "exact"),
        ("linformer", "exact"),
        ("performer", "exact"),
        ("softmax", "relu"),
        ("performer-trig", "exact"),
    ],
)
def test_gradcheck_tiny(kind, ff):
    S, _ = continuous.approximate(targets.get("poly-mean-field"), 2, 1, 2, samples=40)
    net = {
        "softmax": lambda: transformer.from_sumformer(S, 2, ff, m_relu=1, random_query=True),
        "linformer": lambda: linformer.from_sumformer(S, 2, 2, config=NetworkConfig(ff=ff, m_relu=1)),
        "performer": lambda: performer.from_sumformer(
            S, 2, 2, config=NetworkConfig(ff=ff, m_relu=1, random_query=True)
        ),
        "performer-trig": lambda: performer.from_sumformer(
            S, 2, 2, features="trig", config=NetworkConfig(ff=ff, m_relu=1)
        ),
    }[kind]()
    module = net.to_torch()
    X = torch.tensor([[[0.21], [0.64]], [[0.33], [0.87]]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(module, (X,), eps=1e-6, atol=1e-7)
    if ff == "relu":
        return  # thousands of ReLU weights: their gradients are covered by the backward test above
    # with respect to the parameters too: a functional call over every weight
    names = [k for k, _ in module.named_parameters()]
    values = tuple(p.detach().clone().requires_grad_(True) for p in module.parameters())
    f = lambda *ps: torch.func.functional_call(module, dict(zip(names, ps)), (X.detach(),))
    assert torch.autograd.gradcheck(f, values, eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind, ff", CASES)
@pytest.mark.parametrize("strict", [True, False])
def test_export_dynamic_batch_parity_on_unseen_inputs(S, kind, ff, strict, rng):
    if strict and kind not in ("softmax", "performer-trig"):
        pytest.skip("strict export covered on two kinds per mode to keep the suite fast")
    net = BUILDERS[kind](S, ff)
    module = net.to_torch()
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        module, (torch.tensor(rng.uniform(size=(4, 3, 2))),), dynamic_shapes={"X": {0: batch}}, strict=strict
    )
    for b in (1, 7):
        X = np.random.default_rng(100 + b).uniform(size=(b, 3, 2))
        assert np.abs(_np(program.module()(torch.tensor(X))) - net(X)).max() <= 1e-12


@pytest.mark.parametrize("kind, ff", [("softmax", "exact"), ("performer", "relu")])
def test_compile_parity_on_unseen_inputs(S, kind, ff):
    net = BUILDERS[kind](S, ff)
    compiled = torch.compile(net.to_torch(), backend="eager", dynamic=True)
    for b in (2, 5):
        X = np.random.default_rng(b).uniform(size=(b, 3, 2))
        assert np.abs(_np(compiled(torch.tensor(X))) - net(X)).max() <= 1e-12


#: every kind once, both feed-forwards among them (an inductor compile costs tens of CPU seconds)
INDUCTOR_CASES = [(kind, ("exact", "relu")[i % 2]) for i, kind in enumerate(BUILDERS)]


@pytest.mark.slow
@pytest.mark.parametrize("kind, ff", INDUCTOR_CASES)
def test_compile_inductor_parity(S, kind, ff):
    net = BUILDERS[kind](S, ff)
    compiled = torch.compile(net.to_torch(), dynamic=True)
    for b in (2, 5):
        X = np.random.default_rng(b).uniform(size=(b, 3, 2))
        assert np.abs(_np(compiled(torch.tensor(X))) - net(X)).max() <= 1e-12


def test_jit_script_is_refused_clearly(S):
    with pytest.raises(PolyapproxError, match="torch.jit.script is not supported.*torch.export"):
        torch.jit.script(transformer.from_sumformer(S, 3).to_torch())


@pytest.mark.parametrize("ff", ["exact", "relu"])
def test_save_load_and_state_dict_round_trip(S, ff, rng):
    net = linformer.from_sumformer(S, 3, 2, config=NetworkConfig(ff=ff, m_relu=2))
    module = net.to_torch()
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)  # test only: the library never unpickles
    X = torch.tensor(rng.uniform(size=(5, 3, 2)))
    assert torch.equal(loaded(X), module(X))
    fresh = linformer.from_sumformer(S, 3, 2, config=NetworkConfig(ff=ff, m_relu=2)).to_torch()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    assert not torch.allclose(fresh(X), module(X))
    fresh.load_state_dict(module.state_dict())
    assert torch.equal(fresh(X), module(X))


def test_state_dict_of_a_different_fit_changes_the_output_or_fails(rng):
    S1 = fitted(n=3, d=2, degree=2)
    S2, _ = continuous.approximate(targets.get("poly-mean-field"), 3, 2, 2, samples=200)
    n1, n2 = transformer.from_sumformer(S1, 3), transformer.from_sumformer(S2, 3)
    m1, m2 = n1.to_torch(), n2.to_torch()
    X = rng.uniform(size=(5, 3, 2))
    assert m1.stages["ff2"].body.map.coefficients.shape == m2.stages["ff2"].body.map.coefficients.shape
    m1.load_state_dict(m2.state_dict())
    assert np.abs(_np(m1(torch.tensor(X))) - n2(X)).max() <= 1e-12  # follows the new fit
    assert np.abs(n1(X) - n2(X)).max() > 1e-3
    S3 = fitted(n=3, d=2, degree=3)  # more psi terms: the shapes differ, loading fails
    with pytest.raises(RuntimeError, match="size mismatch"):
        m2.load_state_dict(transformer.from_sumformer(S3, 3).to_torch().state_dict())


def test_float32_and_dtype_errors(S, rng):
    net = performer.from_sumformer(S, 3, 4, config=NetworkConfig(ff="relu", m_relu=2, random_query=True))
    module = net.to_torch()
    X = rng.uniform(size=(5, 3, 2))
    with pytest.raises(PolyapproxError, match="dtype torch.float32 does not match the module's torch.float64"):
        module(torch.tensor(X, dtype=torch.float32))
    module32 = module.to(torch.float32)
    out = module32(torch.tensor(X, dtype=torch.float32))
    assert out.dtype == torch.float32 and np.abs(_np(out) - net(X)).max() <= 1e-5
    exact32 = transformer.from_sumformer(S, 3).to_torch().to(torch.float32)
    assert exact32.stages["ff2"].body.map.monomials.exponents.dtype == torch.int64
    assert np.abs(_np(exact32(torch.tensor(X, dtype=torch.float32))) - S(X)).max() <= 1e-4


def test_bad_input(S):
    module = transformer.from_sumformer(S, 3).to_torch()  # checks the domain by default, as numpy does
    with pytest.raises(ShapeError, match=r"\(3, 2\) or \(b, 3, 2\); got \(4, 2\)"):
        module(torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(DomainError, match="NaN"):
        module(torch.full((3, 2), float("nan"), dtype=torch.float64))
    with pytest.raises(DomainError, match=r"outside the domain \[0.0, 1.0\]"):
        module(torch.full((3, 2), 1.5, dtype=torch.float64))
    unchecked = transformer.from_sumformer(S, 3).to_torch(check_domain=False)
    X = np.full((3, 2), 1.5)
    assert np.abs(_np(unchecked(torch.tensor(X))) - transformer.from_sumformer(S, 3)(X, extrapolate=True)).max() < 1e-9
    with pytest.raises(PolyapproxError, match="must be a torch.Tensor"):
        module(np.zeros((3, 2)))


def test_non_polynomial_exact_network_is_refused():
    from _networks import hand_made

    with pytest.raises(PolyapproxError, match="needs a polynomial Sumformer"):
        transformer.from_sumformer(hand_made(), 3).to_torch()


def test_missing_torch_message(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("no torch")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(PolyapproxError) as info:
        _torch_support.import_torch_module()
    message = str(info.value)
    assert 'pip install -e ".[torch]"' in message and "torch==2.13.0" in message and "\n" not in message


def test_weight_names_keep_attention_projections(S):
    net = performer.from_sumformer(S, 3, 4)
    assert {k.split(".")[-1] for k in net.weights if k.startswith("attn.")} >= {"W_Q", "W_K", "W_V", "W_O"}
    changed = dataclasses.replace(net, attention_params={**net.attention_params, "features": "cosine"})
    with pytest.raises(PolyapproxError, match="unknown feature kind"):
        changed.to_torch()
