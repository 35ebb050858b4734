#!/usr/bin/env python3
"""The baseline of reef-bench-sweep: Optuna 3.1 (Debian's python3-optuna) on the same simulated
learning curves as sweep_bench.cpp (the formula is kept identical; `--check` prints the losses
of given settings so that the C++ side can verify it). Prints one JSON line per study:
{"method", "seed", "completed": [[compute, value], ...], "compute", "trials"}."""
import argparse
import json
import math
import sys

STEPS = 81


def simulated_loss(p, step, seed):
    sgd = p["optimizer"] == "sgd"
    best = -1.0 + math.log10(1.0 - p["momentum"]) if sgd else -2.5
    d = math.log10(p["lr"]) - best
    q = (0.08 + 0.12 * d * d + 0.4 * (p["dropout"] - 0.2) ** 2 + 0.015 * (math.log2(p["batch"]) - 5.0) ** 2
         + 0.15 * (math.log(256.0 / p["width"]) / math.log(32.0)) ** 2 + (0.03 if sgd else 0.0))
    if d > 1.2:
        q += 0.5 * (d - 1.2)
    rate = min(1.0, 0.25 * 10.0 ** (0.15 * min(max(d, -2.0), 1.0)) * (p["batch"] / 64.0) ** 0.1 / (1.0 + 0.5 * p["dropout"]))
    x = math.sin(seed * 0.1 + step * 12.9898 + p["lr"] * 78.233 + p["width"] * 0.37) * 43758.5453
    noise = x - math.floor(x) - 0.5
    return q + (1.5 - q) * math.exp(-rate * max(0.0, step - 0.2 * p["warmup"])) + 0.01 * noise


def suggest(trial):
    p = {"lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
         "optimizer": trial.suggest_categorical("optimizer", ["sgd", "adam"])}
    p["momentum"] = trial.suggest_float("momentum", 0.0, 0.99) if p["optimizer"] == "sgd" else 0.0
    p["batch"] = trial.suggest_categorical("batch", [16, 32, 64, 128, 256])
    p["width"] = trial.suggest_int("width", 8, 256)
    p["dropout"] = trial.suggest_float("dropout", 0.0, 0.6)
    p["warmup"] = trial.suggest_int("warmup", 0, 20)
    return p


def run_study(method, seed, budget, min_steps, eta):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if method in ("optuna_tpe_sh", "optuna_tpe_multivariate_sh"):
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=method == "optuna_tpe_multivariate_sh",
                                             warn_independent_sampling=False)
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=min_steps, reduction_factor=eta)
    else:
        sampler, pruner = optuna.samplers.RandomSampler(seed=seed), optuna.pruners.NopPruner()
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    state = {"compute": 0, "completed": []}

    def objective(trial):
        p = suggest(trial)
        value = None
        for step in range(1, STEPS + 1):
            value = simulated_loss(p, step, seed)
            state["compute"] += 1
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        state["completed"].append([state["compute"], value])
        return value

    def stop_at_budget(study, _trial):
        if state["compute"] >= budget:
            study.stop()

    study.optimize(objective, callbacks=[stop_at_budget])
    return {"method": method, "seed": seed, "completed": state["completed"], "compute": state["compute"],
            "trials": len(study.trials)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=30 * STEPS)
    parser.add_argument("--min-steps", type=int, default=3)
    parser.add_argument("--eta", type=int, default=3)
    parser.add_argument("--check", help="JSON list of settings: print their losses at steps 1, 9 and 81")
    args = parser.parse_args()
    if args.check:
        for p in json.loads(args.check):
            print(json.dumps({"check": [simulated_loss(p, s, 3) for s in (1, 9, 81)]}))
        return
    import warnings
    import optuna
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    for seed in range(1, args.seeds + 1):
        for method in ("optuna_random", "optuna_tpe_sh", "optuna_tpe_multivariate_sh"):
            result = run_study(method, seed, args.budget, args.min_steps, args.eta)
            result["optuna"] = optuna.__version__
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
