#!/usr/bin/env python3
"""Reference values for tools/ml-training/evaluation, computed with numpy.

Generates a seeded noisy linear dynamical system (d=16), splits it into train/validation/test, and
computes the metrics (MSE over all elements, mean cosine with the zero-vector rules), the baselines
(random with the same mulberry32 + Box-Muller stream as the TypeScript code, copy-last, exact nearest
neighbour, ridge from the last and from the flattened context, lambda chosen on validation) and a
model's metrics. Writes tests/ml-training/fixtures/evaluation-reference.json.

Usage: python3 scripts/ml-evaluation-reference.py
"""
import json
import math
import os

import numpy as np

M32 = 0xFFFFFFFF
LAMBDA_GRID = [1e-3, 1e-2, 1e-1, 1, 10, 100]


def imul(a, b):
    return (a * b) & M32


def mulberry32(seed):
    state = [seed & M32]

    def uniform():
        a = (state[0] + 0x6D2B79F5) & M32
        state[0] = a
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & M32) ^ t
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return uniform


def gaussian(seed):
    uniform = mulberry32(seed)

    def draw():
        u1 = 1 - uniform()
        u2 = uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    return draw


def metrics(pred, true):
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    mse = float(np.mean((pred - true) ** 2))
    pn = np.linalg.norm(pred, axis=1)
    tn = np.linalg.norm(true, axis=1)
    dot = np.sum(pred * true, axis=1)
    cos = np.where((pn == 0) & (tn == 0), 1.0, np.where((pn == 0) | (tn == 0), 0.0, dot / np.where(pn * tn == 0, 1, pn * tn)))
    return {"mse": mse, "cosine": float(np.mean(cos)), "count": int(len(true)), "dimension": int(true.shape[1])}


def features(rows, context, kind):
    if kind == "last":
        return rows[context - 1 : len(rows) - 1]
    return np.stack([rows[t - context : t].reshape(-1) for t in range(context, len(rows))])


def ridge(x, y, lam):
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def ridge_baseline(train, validation, test, context, kind):
    x, y = features(train, context, kind), train[context:]
    xv, yv = features(validation, context, kind), validation[context:]
    tried = [(lam, float(np.mean((xv @ ridge(x, y, lam) - yv) ** 2))) for lam in LAMBDA_GRID]
    lam = min(tried, key=lambda p: p[1])[0]
    w = ridge(x, y, lam)
    return features(test, context, kind) @ w, lam, w


def main():
    rng = np.random.default_rng(18)
    d, n, context, seed = 16, 400, 2, 7
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a = 0.95 * q
    x = np.zeros((n, d))
    x[0] = rng.normal(size=d)
    for t in range(1, n):
        x[t] = a @ x[t - 1] + 0.3 * rng.normal(size=d)
    train, validation, test = x[:240], x[240:300], x[300:]
    targets = test[context:]
    # The "model": the true map plus a little error, so it should beat every baseline.
    model = test[context - 1 : -1] @ a.T + 0.05 * rng.normal(size=targets.shape)

    mean, std = train.mean(axis=0), train.std(axis=0)
    draw = gaussian(seed)
    random_pred = np.array([[mean[k] + std[k] * draw() for k in range(d)] for _ in range(len(targets))])

    keys, successors = train[context - 1 : -1], train[context:]
    queries = test[context - 1 : -1]
    dist = ((queries[:, None, :] - keys[None, :, :]) ** 2).sum(axis=2)
    nn = dist.argmin(axis=1)

    ridge_last, lam_last, w_last = ridge_baseline(train, validation, test, context, "last")
    ridge_flat, lam_flat, _ = ridge_baseline(train, validation, test, context, "flat")

    out = {
        "description": "numpy reference for tools/ml-training/evaluation (scripts/ml-evaluation-reference.py)",
        "context": context,
        "seed": seed,
        "train": train.tolist(),
        "validation": validation.tolist(),
        "test": test.tolist(),
        "predictions": model.tolist(),
        "nearestIndices": nn.tolist(),
        "ridgeLast": {"lambda": lam_last, "weights": w_last.tolist()},
        "ridgeFlatLambda": lam_flat,
        "metrics": {
            "model": metrics(model, targets),
            "random": metrics(random_pred, targets),
            "copy_last": metrics(queries, targets),
            "nearest_neighbour": metrics(successors[nn], targets),
            "ridge": metrics(ridge_last, targets),
            "ridge_flat": metrics(ridge_flat, targets),
        },
        "randomFirstRow": random_pred[0].tolist(),
    }
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "ml-training", "fixtures", "evaluation-reference.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(json.dumps(out["metrics"], indent=1), lam_last, lam_flat)


if __name__ == "__main__":
    main()
