"""Report section "transformer": one attention layer suffices; Linformer and Performer (MATH.md sec. 7-8).

Reconstruction of [A]'s corollaries: networks with weights from the proof, cases T1-T5, the
ReLU error budget as the accuracy tightens, and the cost of one attention layer vs n.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._model import Claim, ReportContext, Section
from ._plots import finish_axes


def build(ctx: ReportContext) -> Section:
    from constructions import (
        continuous,
        linformer,
        performer,
        relu,
        targets,
        transformer,
    )
    from constructions._cost import time_attention_kinds

    rng = np.random.default_rng(ctx.seed)
    tol = ctx.tol("T.exact", 1e-13)
    # T1-T4: n=5, d=2, K=n (d'=20), d_out=2
    S, _ = continuous.approximate(targets.get("softmax-attention"), 5, 2, 2, samples=800, seed=ctx.seed)
    X = rng.uniform(size=(200, 5, 2))
    reference = S(X)

    def deviation(net) -> float:
        return float(np.abs(net(X) - reference).max())

    t1 = [deviation(transformer.from_sumformer(S, 5)), deviation(transformer.from_sumformer(S, 5, random_query=True))]
    t2 = [deviation(linformer.from_sumformer(S, 5, 3, F="first")), deviation(linformer.from_sumformer(S, 5, 3, F="mean"))]
    gaussian = np.random.default_rng(ctx.seed + 1).normal(size=(3, 5))
    t3 = deviation(linformer.from_sumformer(S, 5, 3, F=gaussian, allow_unequal_columns=True))
    t4 = [deviation(performer.from_sumformer(S, 5, 16, features=kind, seed=seed))
          for kind in ("positive", "trig") for seed in (0, 1, 2)]
    x = np.linspace(0, 1, 2**12 + 1)[:, None]
    ms = [1, 2, 4, 6, 8]
    t5 = [float((relu.square(m)(x)[:, 0] - x[:, 0] ** 2).max()) for m in ms]

    claims = [
        Claim("T1", "one softmax attention layer equals the Sumformer (W_Q = 0 / random W_Q)", max(t1) <= tol,
              [f"{v:.1e}" for v in t1], f"<= {tol:g}"),
        Claim("T2", "Linformer with F = e_1 1^T or J/k equals the Sumformer", max(t2) <= tol,
              [f"{v:.1e}" for v in t2], f"<= {tol:g}"),
        Claim("T3", "negative control: Gaussian F (unequal column sums) fails", t3 > ctx.tol("T3.min", 1e-3),
              f"{t3:.2f}", "> 1e-3 (MATH.md saw 0.33)"),
        Claim("T4", "Performer (positive and trig, m = 16, seeds 0-2) equals the Sumformer", max(t4) <= tol,
              f"{max(t4):.1e}", f"<= {tol:g}"),
        Claim("T5", "Yarotsky square: sup error = 2^(-2m-2), attained (m = 1, 2, 4, 6, 8)",
              all(abs(e - 2.0 ** (-2 * m - 2)) <= ctx.tol("T5.attained", 1e-9) for e, m in zip(t5, ms)),
              [f"{e:.3g}" for e in t5], [f"{2.0 ** (-2 * m - 2):.3g}" for m in ms]),
    ]

    # ReLU budget as the accuracy tightens: n=3, d=1, psi of degree 4 fitted to the Gaussian kernel sum
    S_small, fit = continuous.approximate(targets.get("gaussian-kernel-sum"), 3, 1, 4, seed=ctx.seed)
    Xs = rng.uniform(size=(2000, 3, 1))
    relu_rows = []
    for m in ([2, 4, 6] if ctx.quick else [2, 4, 6, 8, 10]):
        net = transformer.from_sumformer(S_small, 3, ff="relu", m_relu=m)
        relu_rows.append({"m": m, "measured": float(np.abs(net(Xs) - S_small(Xs)).max()), "bound": net.error_bound,
                          "parameters": net.parameter_count(), "neurons": net.details["relu_neurons"],
                          "hat_relus": net.details["hat_relus"]})
    claims.append(Claim("T-relu", "ReLU network vs Sumformer: measured error <= proven bound L_psi n eta_1 + eta_2",
                        all(r["measured"] <= r["bound"] for r in relu_rows),
                        [f"{r['measured']:.1e}" for r in relu_rows], [f"{r['bound']:.1e}" for r in relu_rows]))

    ns = [256, 1024] if ctx.quick else [256, 1024, 4096]
    costs = {n: time_attention_kinds(n, seed=ctx.seed) for n in ns}

    section = Section("transformer", "One attention layer suffices: Transformer, Linformer, Performer "
                                     "(reconstruction, MATH.md sec. 7-8)")
    T = transformer.from_sumformer(S, 5)
    relu_table = ["| m | measured max error vs Sumformer | proven bound | parameters | ReLU neurons |",
                  "|---|---|---|---|---|"] + [
        f"| {r['m']} | {r['measured']:.2e} | {r['bound']:.2e} | {r['parameters']} | {r['neurons']} |" for r in relu_rows]
    cost_table = ["| n | " + " | ".join(costs[ns[0]]) + " |", "|---|" + "---|" * len(costs[ns[0]])] + [
        f"| {n} | " + " | ".join(f"{t * 1e3:.2f} ms" for t in row.values()) + " |" for n, row in costs.items()]
    section.markdown = (
        "Weights are constructed, not trained (*reconstruction* of [A]'s corollaries). Worked example: "
        "n = 5, d = 2, psi of degree 2 fitted to the softmax-attention target, d' = 20, residual width "
        f"D = {T.width}.\n\n" + T.describe() + "\n\n"
        f"Deviations from the Sumformer on 200 random sequences: softmax {t1[0]:.1e} (random W_Q {t1[1]:.1e}), "
        f"Linformer {t2[0]:.1e} / {t2[1]:.1e}, Performer {max(t4):.1e}; Gaussian F control {t3:.2f}.\n\n"
        f"ReLU feed-forward blocks (n = 3, d = 1, Sumformer test sup error {fit.test_sup_error:.1e}):\n\n"
        + "\n".join(relu_table) + "\n\nCost of one attention layer (D = 16):\n\n" + "\n".join(cost_table))
    section.figures.append(ctx.savefig(_plot(relu_rows, costs), "transformer_relu_and_cost"))
    section.numbers = {"T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5, "relu": relu_rows,
                       "cost_seconds": {str(n): row for n, row in costs.items()}}
    section.claims = claims
    return section


def _plot(relu_rows: list[dict], costs: dict) -> Figure:
    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    ms = [r["m"] for r in relu_rows]
    left.semilogy(ms, [r["measured"] for r in relu_rows], "-o", label="measured |T - S|")
    left.semilogy(ms, [r["bound"] for r in relu_rows], "--s", label="proven bound")
    twin = left.twinx()
    twin.plot(ms, [r["parameters"] for r in relu_rows], ":", color="gray", label="parameters")
    twin.set_ylabel("parameters (dotted)")
    finish_axes(left, xlabel="Yarotsky depth parameter m", ylabel="error", title="ReLU feed-forward blocks: error vs bound")
    ns = list(costs)
    for kind in costs[ns[0]]:
        right.loglog(ns, [costs[n][kind] for n in ns], "-o", label=kind)
    finish_axes(right, xlabel="sequence length n", ylabel="seconds per attention layer",
                title="Cost of one attention layer", ticks=ns, tick_labels=[str(n) for n in ns])
    fig.subplots_adjust(wspace=0.45)
    return fig
