"""Report section "fine-tuning": the constructed one-layer Transformer fine-tuned at learning rates
1e-5 to 1e-2, the first-step loss jump, and the sharpness of the constructed minimum.

Runs ``polyapprox train fine-tuning --quick`` (3 seeds) by default and the full settings with
``polyapprox reproduce --full-training``. Needs PyTorch; without it the section is skipped.
"""

from __future__ import annotations

import math

from ._model import Outcome, ReportContext, SectionSpec

SECTION = SectionSpec(
    "fine-tuning",
    "Training: learned vs constructed, explained (fine-tuning rates, first-step jump, sharpness)",
    order=72,
    requires="torch",
    theory="theory/training",
    tolerances={"small_jump": 1.01, "prediction_factor": 2.0},
)


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    from polyapprox.app import experiments

    config = experiments.ExperimentConfig.from_first_seed(ctx.seed, not ctx.full_training, map=ctx.map)
    result = experiments.fine_tuning(config)
    runs = result.runs
    rates = runs[0]["settings"]["rates"]

    def jumps(key: str) -> dict[float, list[float]]:
        return {lr: [r["constructed"]["runs"][i][key] for r in runs] for i, lr in enumerate(rates)}

    return {
        "table": result.table.to_dict(),
        "sharpness": result.extra["sharpness"].to_dict(),
        "finding": result.notes[0],
        "jumps": jumps("first_step_jump"),
        "predicted": jumps("predicted_jump"),
        "_result": result,
    }


@SECTION.claim(
    "FT-jump",
    "from the constructed weights Adam's first step at lr 1e-2 raises the training loss (on every seed) and at "
    "lr 1e-5 changes it by less than 1%",
)
def _jump(ctx: ReportContext, data: dict) -> Outcome:
    high, low = data["jumps"][1e-2], data["jumps"][1e-5]
    limit = ctx.tol("small_jump")
    passed = min(high) > 1 and max(low) < limit and min(low) > 1 / limit
    return Outcome(passed, {"1e-2": min(high), "1e-5": [min(low), max(low)]}, f"1e-2: > 1; 1e-5: within x{limit}")


@SECTION.claim(
    "FT-predict",
    "the second-order model of Adam's first step (gradient and Hessian-vector product) predicts the measured jump "
    "within a factor 2 at every learning rate and seed",
)
def _predict(ctx: ReportContext, data: dict) -> Outcome:
    factor = max(abs(math.log(p / m)) for lr in data["jumps"] for m, p in zip(data["jumps"][lr], data["predicted"][lr]))
    limit = ctx.tol("prediction_factor")
    return Outcome(math.exp(factor) <= limit, math.exp(factor), f"<= {limit}")


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    result = data["_result"]
    sharpness = result.extra["sharpness"]
    parts = [
        f"### {result.table.title}",
        result.table.to_markdown(),
        f"### {sharpness.title}",
        sharpness.to_markdown(),
        data["finding"][0].upper() + data["finding"][1:],
    ]
    return "\n\n".join(parts), [ctx.savefig(result.figure, "training_fine-tuning")]
