"""Report section "training": learned networks beside the constructed ones, sparse patterns on copying.

Runs the quick settings of the training experiments (``polyapprox train EXPERIMENT --quick``) by
default, and the full settings with ``polyapprox reproduce --full-training`` (about half an hour on
2 cores; each full run is also ``polyapprox train EXPERIMENT``).
Needs PyTorch; without it the section reports that and its claims fail with the install hint.
"""

from __future__ import annotations

from ._model import Outcome, ReportContext, SectionSpec, equals
from .cases import expected

SECTION = SectionSpec(
    "training",
    "Training: learned vs constructed networks, sparse patterns on a copying task",
    order=70,
    requires="torch",
    tolerances={"loss_drop": 10.0, "start_gap": 1e-9, "learns": 0.9, "fails": 0.6},
)

COPY_PATTERNS = ("dense", "star", "strided", "fixed", "sliding_window", "random", "union")


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    from constructions import training
    from polyapprox.app import experiments

    quick = not ctx.full_training  # the full runs take 2-20 minutes each: only with reproduce --full-training
    curves = experiments.sumformer_curves(quick=quick, seed=ctx.seed, map=ctx.map)
    init = experiments.init_comparison(quick=quick, seed=ctx.seed, map=ctx.map)
    copying = experiments.sparse_copying(quick=quick, seed=ctx.seed, map=ctx.map)
    rerun = training.TrainingConfig(steps=20, samples=64, test_samples=64, reference=False, seed=ctx.seed)
    again = [training.train_sumformer("centered", 3, 1, config=rerun).train_loss for _ in range(2)]
    return {
        "sumformer_curves": curves.table.to_dict(),
        "init": init.table.to_dict(),
        "copying": copying.table.to_dict(),
        "assumption": copying.extra["assumption"].to_dict(),
        "notes": {"sumformer-curves": curves.notes, "init": init.notes, "sparse-copying": copying.notes},
        "start_gap": init.extra["start_gap"],
        "_results": [curves, init, copying],
        "_curves": curves.runs,
        "_rerun": again,
    }


@SECTION.claim("TR-drop", "the quick MLP Sumformer run lowers the test MSE by >= 10x on the Gaussian-kernel target")
def _drop(ctx: ReportContext, data: dict) -> Outcome:
    run = next(r for r in data["_curves"] if r["model"] == "mlp")
    ratio = run["test_mse"][0] / run["test_mse"][-1]
    return Outcome(ratio >= ctx.tol("loss_drop"), ratio, f">= {ctx.tol('loss_drop')}")


@SECTION.claim(
    "TR-start",
    "fine-tuning from the constructed weights starts within 1e-9 of the constructed error "
    "(Transformer, Linformer, Performer)",
)
def _start(ctx: ReportContext, data: dict) -> Outcome:
    return Outcome(data["start_gap"] <= ctx.tol("start_gap"), data["start_gap"], f"<= {ctx.tol('start_gap')}")


@SECTION.claim("TR-init", "every one-layer network ends lower from the constructed weights than from random ones")
def _init(ctx: ReportContext, data: dict) -> Outcome:
    final = {(r["network"], r["init"]): r["final test MSE"] for r in data["init"]["rows"]}
    better = {k: final[k, "constructed"] < final[k, "random"] for k, _ in final}
    return Outcome(all(better.values()), better, "all True")


@SECTION.claim("TR-bitwise", "a re-run with the same seed gives bitwise-equal training losses")
def _bitwise(ctx: ReportContext, data: dict) -> Outcome:
    first, second = data["_rerun"]
    return Outcome(first == second, len(first), "equal")


@SECTION.claim("TR1", "Assumption 1 holds at n = 16 for the copying-task patterns, with s as in the pattern table")
def _assumption(ctx: ReportContext, data: dict) -> Outcome:
    rows = {r["pattern"]: r for r in data["assumption"]["rows"]}
    measured = {p: rows[p]["s"] for p in expected("TR1") if rows[p]["assumption 1"] == "holds"}
    return equals(measured, expected("TR1"))


@SECTION.claim(
    "TR-copy",
    "with four sparse layers STRIDED and UNION learn copying (accuracy >= 0.9) and STAR "
    "does not (<= 0.6), as Yun et al. 2020 report",
)
def _copy(ctx: ReportContext, data: dict) -> Outcome:
    accuracy = {r["pattern"]: r["final accuracy"] for r in data["copying"]["rows"]}
    passed = min(accuracy["strided"], accuracy["union"]) >= ctx.tol("learns") and accuracy["star"] <= ctx.tol("fails")
    return Outcome(
        passed,
        {p: accuracy[p] for p in ("strided", "union", "star")},
        f"strided, union >= {ctx.tol('learns')}; star <= {ctx.tol('fails')}",
    )


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    parts = [
        "Quick settings (the full runs: `polyapprox train EXPERIMENT`). Every run is seeded and deterministic "
        "on the CPU. Notes say where the results agree with the papers (Alberti et al. 2023; Yun et al. 2020) "
        "and where they differ."
    ]
    figures = []
    for result in data["_results"]:
        parts += [f"### {result.table.title}", result.table.to_markdown(), *[f"- {n}" for n in result.notes]]
        figures.append(ctx.savefig(result.figure, f"training_{result.name}"))
    assumption = data["_results"][2].extra["assumption"]
    parts += [f"### {assumption.title}", assumption.to_markdown()]
    return "\n\n".join(parts), figures
