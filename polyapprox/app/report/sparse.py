"""Report section "sparse": patterns, Assumptions 1-2, layer counts, exact contextual mapping (cases S1-S7).

The wording of the assumptions of Yun et al. (2020) and every constant of the construction are a
reconstruction; the checks run in exact rationals.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from ._model import Outcome, ReportContext, SectionSpec, equals
from .cases import QUICK_S2, expected

SECTION = SectionSpec(
    "sparse",
    "Sparse Transformers: patterns, assumptions, contextual mapping",
    order=60,
    tolerances={"S5.rel": 0.05, "S-universal.zero": 1e-9},
)


def _patterns_at(n: int) -> dict:
    from constructions.sparse import patterns as P

    root = max(2, round(math.sqrt(n)))
    return {
        "dense": P.dense(n),
        "tridiagonal": P.tridiagonal(n),
        "window w=5": P.sliding_window(n, 5),
        "STAR": P.star(n),
        "STAR ring": P.star(n, ring=True),
        f"STRIDED w={root}": P.strided(n, root),
        f"FIXED w={root}": P.fixed(n, root),
        "FIXED w=5": P.fixed(n, 5),
        "Longformer w=5, G={0}": P.longformer(n, 5, [0]),
        "BigBird w=3, r=2, g=1": P.bigbird(n, 3, 2, 1, seed=0),
    }


def _s1_masks() -> dict:
    from constructions.sparse import patterns as P

    return {
        "tridiagonal": P.tridiagonal(16),
        "window w=5": P.sliding_window(16, 5),
        "STAR": P.star(16),
        "STAR ring": P.star(16, ring=True),
        "STRIDED w=4": P.strided(16, 4),
        "STRIDED w=4 (reversed)": P.strided(16, 4)[::-1],
        "FIXED w=4": P.fixed(16, 4),
        "FIXED w=5": P.fixed(16, 5),
        "Longformer w=5, G={0}": P.longformer(16, 5, [0]),
        "dense": P.dense(16),
    }


@SECTION.data
def _data(ctx: ReportContext) -> dict:
    from constructions import sparse
    from constructions.sparse import patterns as P

    rows, reports = [], {}
    for n in [16, 64] if ctx.quick else [16, 64, 256, 1024]:
        for name, masks in _patterns_at(n).items():
            r = sparse.check_assumption(masks)
            reports[(name, n)] = r
            rows.append(
                {
                    "pattern": name,
                    "n": n,
                    "connections": list(r.connections),
                    "p": r.p,
                    "s": r.s,
                    "holds": r.holds,
                    "failed": r.failed_condition,
                }
            )
    star = sparse.contextual_mapping(P.star(3), 3, 1, "1/2")  # S5: softmax in place of hardmax
    s5 = ({t: star.numeric_deviation(t) for t in expected("S5")["deviation"]}, star.verify().margin_within)
    return {
        "assumption_table": rows,
        "_reports": reports,
        "S2": _contextual_cases(ctx),
        "s5": s5,
        "universal": _universal(ctx),
        "s6": {name: sparse.check_rho(name, n=8, zeta=0.5, eta=1e-3) for name in sparse.RHOS},
        "layers_s4": sparse.layer_counts(4, 1, "1/2", p=2, s=2),
    }


def _contextual_cases(ctx: ReportContext) -> dict:
    """Every S2 case run exactly over all grid inputs: layers, M, c_B and the verified properties."""
    from constructions import sparse
    from constructions.sparse import patterns as P

    builders = {"star": P.star, "tridiagonal": P.tridiagonal, "strided": P.strided, "fixed": P.fixed}
    results = {}
    for name in QUICK_S2 if ctx.quick else list(expected("S2")):
        ((kind, *args), n, d, delta), _ = expected("S2")[name]
        cm = sparse.contextual_mapping(builders[kind](*args), n, d, delta)
        check = cm.verify()
        results[name] = {
            "counts": (cm.phase_a, cm.phase_b, int(cm.M), cm.c_B),
            "holds": check.holds,
            "closed_form": check.closed_form,
            "injective": check.injective,
            "margin_within": str(check.margin_within),
            "margin_across": str(check.margin_across),
        }
    return results


@SECTION.claim("S1", "patterns at n = 16: (p, s, connections) as in the reference table")
def _s1(ctx: ReportContext, data: dict) -> Outcome:
    from constructions import sparse

    measured = {}
    for name, masks in _s1_masks().items():
        r = sparse.check_assumption(masks)
        measured[name] = (r.p, r.s, list(r.connections))
    return equals(measured, expected("S1"))


@SECTION.claim("S7", "Assumption 1 negatives fail condition 3 (connectivity)")
def _s7(ctx: ReportContext, data: dict) -> Outcome:
    from constructions import sparse
    from constructions.sparse import patterns as P

    negatives = {
        "FIXED w=5, n=16": P.fixed(16, 5),
        "A = [{0,1},{0,1},{1,2,3},{2,3}]": P.from_adjacency([[0, 1], [0, 1], [1, 2, 3], [2, 3]]),
        "two tokens A = [{0},{0,1}]": P.from_adjacency([[0], [0, 1]]),
    }
    failed = {name: sparse.check_assumption(masks).failed_condition for name, masks in negatives.items()}
    return Outcome(all(v == expected("S7") for v in failed.values()), failed, expected("S7"))


@SECTION.claim("S6", "Assumption 2: softmax t >= ln((n-1)/eta)/zeta, sparsemax t >= 1/zeta hold; normalised ReLU fails")
def _s6(ctx: ReportContext, data: dict) -> Outcome:
    rho = data["s6"]
    holds = {k: c.holds for k, c in rho.items()}
    thresholds = math.isclose(rho["softmax"].threshold, math.log(7 / 1e-3) / 0.5) and rho["sparsemax"].threshold == 2.0
    return Outcome(holds == expected("S6") and thresholds, {k: str(v) for k, v in rho.items()}, expected("S6"))


@SECTION.claim("S4", "layer formula: STRIDED n=4, d=1, delta=1/2 gives 2*3*2 + 2 = 14 attention layers")
def _s4(ctx: ReportContext, data: dict) -> Outcome:
    return equals(data["layers_s4"].contextual, expected("S4"))


@SECTION.claim(
    "S2", "contextual mapping (exact, every grid input): layers, M, c_B as listed; properties hold (reconstruction)"
)
def _s2(ctx: ReportContext, data: dict) -> Outcome:
    measured = {name: r["counts"] for name, r in data["S2"].items()}
    wanted = {name: expected("S2")[name][1] for name in measured}
    return Outcome(measured == wanted and all(r["holds"] for r in data["S2"].values()), measured, wanted)


@SECTION.claim("S3", "closed form of g~_n and injectivity of L -> g~_n on every S2 case")
def _s3(ctx: ReportContext, data: dict) -> Outcome:
    ok = all(r["closed_form"] and r["injective"] for r in data["S2"].values())
    return equals(ok, expected("S3"))


@SECTION.claim(
    "S5",
    "softmax for hardmax (STAR n=3, c_B=73): max code deviation 297.5, 0.70, 5.1e-9, 0 at "
    "t = 10, 50, 200, 1000; min code gap 1.5 (reconstruction)",
)
def _s5(ctx: ReportContext, data: dict) -> Outcome:
    wanted, (deviations, gap) = expected("S5")["deviation"], data["s5"]
    rel = ctx.tol("S5.rel")
    ok = (
        all(abs(deviations[t] - e) <= rel * e for t, e in wanted.items() if t != 200)
        and deviations[200] < 1e-7
        and gap == expected("S5")["gap"]
    )
    return Outcome(ok, deviations, wanted)


def _universal(ctx: ReportContext) -> dict:
    """The end-to-end network of the theorem (STAR, n = 3, d = 1, centered target): exact check and error table."""
    from constructions import sparse, targets

    f, masks = targets.get("centered"), sparse.patterns.star(3)
    checks = {}
    for name, pattern, delta in (
        ("STAR n=3, delta=1/2", masks, "1/2"),
        ("STAR n=3, delta=1/3", masks, "1/3"),
        ("dense n=2, d=2, delta=1/2", sparse.patterns.dense(2), "1/2"),
    ):
        n, d = (2, 2) if name.startswith("dense") else (3, 1)
        net = sparse.universal_network(f, n, d, delta, pattern)
        checks[name] = {
            "grid": net.grid_check(),
            "stages": net.stage_counts(),
            "formulas": net.counts.to_dict(),
            "heads": net.heads,
            "head_size": net.head_size,
            "ff_width": net.ff_width,
            "parameters": net.parameter_count(),
        }
    sweeps = sparse.ErrorTableConfig(
        deltas=("1/2", "1/3") if ctx.quick else ("1/2", "1/3", "1/4"),
        ts=(10, 50, 100, 300),
        epss=(0.05, 0.01, 0.001),
        samples=1000 if ctx.quick else 2000,
        seed=ctx.seed,
    )
    table = sparse.error_table(f, 3, 1, masks, config=sweeps)
    return {"checks": checks, "errors": table}


@SECTION.claim(
    "S-universal",
    "end-to-end network (hardmax, exact rationals) equals f at the cube centres on every "
    "grid input; 2 heads of size 1, FF width 1; stage counts equal the layer formulas (reconstruction)",
)
def _universal_exact(ctx: ReportContext, data: dict) -> Outcome:
    checks = data["universal"]["checks"]
    ok = all(
        c["grid"]["equal"] == c["grid"]["inputs"] > 0
        and (c["heads"], c["head_size"], c["ff_width"]) == (2, 1, 1)
        and all(
            c["stages"][k.replace("_", "-")] == c["formulas"][k]
            for k in ("quantisation", "phase_a", "phase_b", "value")
        )
        for c in checks.values()
    )
    return Outcome(ok, {k: f"{c['grid']['equal']}/{c['grid']['inputs']}" for k, c in checks.items()}, "all equal")


@SECTION.claim(
    "S-universal-softmax",
    "softmax in place of hardmax: the distance to f-bar falls as t grows and "
    "is below S-universal.zero on the samples at t = 300 (delta = 1/2)",
)
def _universal_softmax(ctx: ReportContext, data: dict) -> Outcome:
    rows = [r for r in data["universal"]["errors"] if r["sweep"] == "t" and r["delta"] == "1/2"]
    gaps = [r["d_p(f_bar,g)"] for r in sorted(rows, key=lambda r: r["t"])]
    zero = ctx.tol("S-universal.zero")
    ok = all(a >= b for a, b in zip(gaps, gaps[1:])) and gaps[-1] <= zero
    return Outcome(
        ok, [f"t={r['t']:g}: {r['d_p(f_bar,g)']:.3g}" for r in rows], f"non-increasing, <= {zero:g} at t = 300"
    )


@SECTION.render
def _render(ctx: ReportContext, data: dict) -> tuple[str, list[str]]:
    rows = data["assumption_table"]
    table = ["| pattern | n | connections per layer | p | s | Assumption 1 |", "|---|---|---|---|---|---|"]
    table += [
        f"| {r['pattern']} | {r['n']} | {', '.join(map(str, r['connections']))} | {r['p']} | "
        f"{r['s'] if r['s'] is not None else '-'} | {'holds' if r['holds'] else 'fails: ' + r['failed']} |"
        for r in rows
    ]
    margins = [
        f"| {name} | {r['counts'][0]}+{r['counts'][1]} | {r['counts'][2]} | {r['counts'][3]} | "
        f"{r['margin_within']} | {r['margin_across']} | {'yes' if r['holds'] else 'NO'} |"
        for name, r in data["S2"].items()
    ]
    markdown = "\n".join(
        [
            "Sparse attention patterns and Assumption 1 of Yun et al. (2020): self-loops, a Hamiltonian path in the "
            "union graph, every token reaching every token within s layers of the cycle. The wording of the "
            "assumptions and every constant of the construction are a reconstruction.",
            "",
            *table,
            "",
            "Layer counts (reconstruction), STRIDED n=4, d=1, delta=1/2:",
            "",
            data["layers_s4"].to_markdown(),
            "",
            "Exact contextual mapping (reconstruction): every grid input run through the hardmax network in exact "
            "rationals; separation margins = smallest gap between final codes inside one input / across inputs.",
            "",
            "| case | attention layers (A+B) | M | c_B | margin within | margin across | properties |",
            "|---|---|---|---|---|---|---|",
            *margins,
            "",
            "Softmax in place of hardmax (S5, STAR n=3): max code deviation "
            + ", ".join(f"t={t}: {v:.3g}" for t, v in data["s5"][0].items())
            + ".",
            "",
            "The end-to-end network of the theorem (reconstruction): positional embedding along the Hamiltonian "
            "path, quantisation, Phase A and Phase B shifts, value mapping. Target centered, STAR, n = 3, d = 1; "
            "d_p distances on random samples, beside the step-1 bound (n d_out)^(1/p) omega_f(delta/2):",
            "",
            "| sweep | delta | t | eps | d_p(f, g) | d_p(f, f-bar) | d_p(f-bar, g) | share g != f-bar | bound | layers |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *[
                f"| {r['sweep']} | {r['delta']} | {r['t']:g} | {r['eps'] if r['eps'] is not None else '-'} | "
                f"{r['d_p(f,g)']:.3g} | {r['d_p(f,f_bar)']:.3g} | {r['d_p(f_bar,g)']:.3g} | {r['mismatch']:.3g} | "
                f"{r['bound_f_fbar']:.3g} | {r['layers']} |"
                for r in data["universal"]["errors"]
            ],
        ]
    )
    figures = [
        ctx.savefig(_mask_figure(_patterns_at(16)), "sparse_masks"),
        ctx.savefig(_reach_figure(data["_reports"], 64), "sparse_reachability"),
        ctx.savefig(_rho_figure(data["s6"]), "sparse_assumption2"),
    ]
    return markdown, figures


def _mask_figure(masks_by_name: dict) -> Figure:
    panels = [
        (f"{name} [{l + 1}/{len(masks)}]" if len(masks) > 1 else name, m)
        for name, masks in masks_by_name.items()
        for l, m in enumerate(masks)
    ]
    cols = 5
    fig = Figure(figsize=(2.6 * cols, 2.8 * math.ceil(len(panels) / cols)))
    axes = fig.subplots(math.ceil(len(panels) / cols), cols)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, m) in zip(axes.flat, panels):
        ax.imshow(m, cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
        ax.set_title(f"{title}\n{int(m.sum())} connections", fontsize=8)
        ax.axis("on")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Attention masks at n = 16 (row = query, column = key; black = attends)")
    return fig


def _reach_figure(reports: dict, n: int) -> Figure:
    """One line per distinct reach curve: patterns with identical curves share a line and its legend entry."""
    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.subplots()
    curves: dict[tuple[int, ...], list[str]] = {}
    steps: dict[tuple[int, ...], int | None] = {}
    for (name, m), r in reports.items():
        if m == n and r.reach_sizes:
            curves.setdefault(tuple(r.reach_sizes), []).append(name)
            steps[tuple(r.reach_sizes)] = r.s
    markers = "osD^v<>ph*"
    for i, (sizes, names) in enumerate(curves.items()):
        s = steps[sizes]
        reach = f"all n after s = {s} layer{'s' if s != 1 else ''}" if s is not None else "never all n"
        shared = f" (identical: {', '.join(names[1:])})" if len(names) > 1 else ""
        t = range(1, len(sizes) + 1)
        ax.plot(
            t,
            [v / n for v in sizes],
            "-",
            marker=markers[i % len(markers)],
            markevery=max(1, len(sizes) // 12),
            markersize=max(10 - 0.8 * i, 4),  # later (smaller) markers drawn on top: overlapping points stay visible
            zorder=2 + i,
            label=f"{names[0]}: {reach}{shared}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("layer t")
    ax.set_ylabel("min_k |S_k^t| / n (fraction of tokens reached)")
    ax.set_title(f"Reachability over layers, n = {n} (patterns with identical curves share one line)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.15), ncol=1)
    return fig


#: the rho that are exactly one-hot from their threshold scale on (theory/sparse: sparsemax for t >= 1/zeta,
#: hardmax for every t > 0); softmax only approaches one-hot, so its small masses are drawn as they are
EXACT_ONE_HOT = ("sparsemax", "hardmax")
#: at or below this, the computed off-argmax mass of an exactly one-hot rho is rounding noise of 0
ZERO_FLOOR = 1e-13


def _rho_figure(checks: dict) -> Figure:
    """The off-argmax mass vs t on a log scale; exact zeros are not drawn at a noise floor but marked by a bar."""
    fig = Figure(figsize=(7, 5.6))
    ax = fig.subplots()
    bottom = 1e-18
    bars = 0
    for name, c in checks.items():
        ts, mass = list(c.ts), list(c.off_mass)
        zero_from = None
        if name in EXACT_ONE_HOT:
            zero_from = next((i for i, t in enumerate(ts) if t >= c.threshold), None)
            if zero_from is not None and max(mass[zero_from:]) > ZERO_FLOOR:
                zero_from = None  # not zero after all: draw what was computed
        label = f"{name} (t* = {c.threshold:.3g})" if math.isfinite(c.threshold) else f"{name} (no t*: never one-hot)"
        if zero_from is not None:
            label += f": exactly 0 for t in [{ts[zero_from]:.3g}, {ts[-1]:.3g}] (bar at the bottom)"
        (line,) = ax.plot(ts[:zero_from], mass[:zero_from], label=label)
        if zero_from is not None:  # the computed range where the mass is 0, one bar per rho near the bottom edge
            height = bottom * 4 * 10**bars
            ax.plot([ts[zero_from], ts[-1]], [height] * 2, "-|", color=line.get_color(), lw=3, markersize=9)
            bars += 1
        if math.isfinite(c.threshold) and c.threshold > 0:
            ax.axvline(c.threshold, ls=":", color=line.get_color())
    any_check = next(iter(checks.values()))
    ax.axhline(any_check.eta, color="k", lw=0.8, ls="--", label=f"eta = {any_check.eta}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom, 2)
    ax.set_xlabel("scale t")
    ax.set_ylabel("max mass off the argmax")
    ax.set_title(f"Assumption 2: rho(t v) vs t (n = {any_check.n}, margin zeta = {any_check.zeta})")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.13))
    return fig
