"""Report section "continuous": error vs degree of least-squares Sumformers (cases C1-C2).

Reconstruction of the continuous theorem of Alberti et al. (2023): phi = power sums (fixed),
psi = polynomial of degree D fitted in Sumformer form; the error on an independent test set
falls with D. The error reported is the maximum over the test samples, a lower bound of the
true sup norm.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from ._model import Outcome, ReportContext, SectionSpec
from ._plots import finish_axes
from .cases import expected

SECTION = SectionSpec("continuous", "Continuous Sumformer: error vs degree (reconstruction)", order=30,
                      tolerances={"C.factor": 3.0, "C1.threshold_scale": 1.0, "C.equivariance": 1e-12})
REFERENCE_SAMPLES = 4000


def fit_case(item: tuple[str, int, int, int, int, int]) -> dict:
    """One sweep point: fit ``target`` at (n, d, degree); module level so any executor can run it."""
    from constructions import continuous, targets
    from constructions.verify import equivariance_error

    name, n, d, degree, samples, seed = item
    model, report = continuous.approximate(targets.get(name), n, d, degree, samples=samples,
                                           test_samples=samples, seed=seed)
    return {**report.to_dict(), "equivariance_error": equivariance_error(model, n, d, seed=seed)}


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    reference = [("gaussian-kernel-sum", 3, 1, D, REFERENCE_SAMPLES, ctx.seed) for D in expected("C1")["degrees"]]
    reference += [("gaussian-kernel-sum", 3, 2, D, REFERENCE_SAMPLES, ctx.seed) for D in expected("C2")["degrees"]]
    extra_degrees = [1, 2, 3, 4] if ctx.quick else [1, 2, 3, 4, 5, 6]
    extra = [(name, 3, 1, D, 2000, ctx.seed) for name in ("softmax-attention", "max-inner") for D in extra_degrees]
    if not ctx.quick:
        extra += [("gaussian-kernel-sum", 4, 1, D, 4000, ctx.seed) for D in (2, 4, 6)]
        extra += [("softmax-attention", 3, 2, D, 3000, ctx.seed) for D in (1, 2, 3, 4)]
    fits = ctx.map(fit_case, reference + extra)
    return {"fits": fits, "_C1": fits[:4], "_C2": fits[4:8]}


def _errors(fits: list[dict]) -> list[float]:
    return [r["test_sup_error"] for r in fits]


def _within(measured: list[float], reference: list[float], factor: float) -> bool:
    return all(ref / factor <= m <= ref * factor for m, ref in zip(measured, reference))


@SECTION.claim("C1", "n=3, d=1 Gaussian kernel sum: coefficient counts 7, 25, 64, 136")
def _c1_counts(ctx: ReportContext, data: dict) -> Outcome:
    counts = [r["coefficients"] for r in data["_C1"]]
    return Outcome(counts == expected("C1")["coefficients"], counts, expected("C1")["coefficients"])


@SECTION.claim("C1", f"max error over {REFERENCE_SAMPLES} test samples <= 2e-1, 2e-2, 2e-3, 2e-4 at D = 2, 4, 6, 8")
def _c1_thresholds(ctx: ReportContext, data: dict) -> Outcome:
    errors, thresholds = _errors(data["_C1"]), expected("C1")["thresholds"]
    scale = ctx.tol("C1.threshold_scale")
    return Outcome(all(e <= scale * t for e, t in zip(errors, thresholds)), [f"{e:.2g}" for e in errors], thresholds)


@SECTION.claim("C1", "max test-sample error within the factor C.factor of the reference run, and decreasing")
def _c1_reference(ctx: ReportContext, data: dict) -> Outcome:
    errors, reference = _errors(data["_C1"]), expected("C1")["errors"]
    ok = _within(errors, reference, ctx.tol("C.factor")) and errors == sorted(errors, reverse=True)
    return Outcome(ok, [f"{e:.2g}" for e in errors], reference)


@SECTION.claim("C2", "n=3, d=2: coefficient counts 18, 54, 141, 333")
def _c2_counts(ctx: ReportContext, data: dict) -> Outcome:
    counts = [r["coefficients"] for r in data["_C2"]]
    return Outcome(counts == expected("C2")["coefficients"], counts, expected("C2")["coefficients"])


@SECTION.claim("C2", "max test-sample error within the factor C.factor of the reference run")
def _c2_reference(ctx: ReportContext, data: dict) -> Outcome:
    errors, reference = _errors(data["_C2"]), expected("C2")["errors"]
    return Outcome(_within(errors, reference, ctx.tol("C.factor")), [f"{e:.2g}" for e in errors], reference)


@SECTION.claim("C-equivariance", "every fitted Sumformer is equivariant (relative error < C.equivariance)")
def _equivariance(ctx: ReportContext, data: dict) -> Outcome:
    worst = max(r["equivariance_error"] for r in data["fits"])
    return Outcome(worst < ctx.tol("C.equivariance"), f"{worst:.1e}", f"< {ctx.tol('C.equivariance'):g}")


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    rows = ["| target | n | d | d' | degree | coefficients | rank | condition | max test-sample error | test RMS |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    rows += [f"| {r['target']} | {r['n']} | {r['d']} | {r['latent_dim']} | {r['degree']} | {r['coefficients']} | "
             f"{r['rank']} | {r['condition_number']:.2g} | {r['test_sup_error']:.2e} | {r['test_rms_error']:.2e} |"
             for r in data["fits"]]
    markdown = (
        "Least squares in Sumformer form: S(X)_i = Psi(x_i, P(X)) with phi the power sums up to degree n "
        "(latent dimension d' fixed by (n, d)) and Psi of weighted degree <= D, fitted on uniform samples of "
        "[0,1]^{n x d} and measured on an independent, seeded test set. The error column is the maximum over "
        "the test samples: a lower bound of the sup norm, not the sup itself. Only the degree of psi grows as "
        "the error falls; d' does not. *Reconstruction* of the continuous theorem of Alberti et al. (2023).\n\n"
        + "\n".join(rows))
    return markdown, [ctx.savefig(_plot(data["fits"]), "continuous_error_vs_degree")]


def _plot(results: list[dict]) -> Figure:
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    twin = ax.twinx()
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["target"], r["n"], r["d"], r["latent_dim"]), []).append(r)
    for (name, n, d, latent), rs in groups.items():
        rs = sorted(rs, key=lambda r: r["degree"])
        degrees = [r["degree"] for r in rs]
        line, = ax.semilogy(degrees, [max(r["test_sup_error"], 1e-17) for r in rs], "-o",
                            label=f"{name}, n={n}, d={d} (d'={latent})")
        twin.plot(degrees, [r["coefficients"] for r in rs], ":", color=line.get_color(), alpha=0.6)
    twin.set_ylabel("number of coefficients of psi (dotted)")
    twin.set_yscale("log")
    finish_axes(ax, xlabel="degree D of psi", ylabel="max error over test samples (solid)",
                title="Continuous Sumformer: error vs degree (latent dimension d' fixed)", legend_loc="lower left")
    return fig
