# The same-run peer for HMM training: a numpy Gaussian HMM with diagonal covariance, scaled
# forward-backward and Baum-Welch with the same restarts, iteration cap and tolerance as Caelum's,
# on the same standardised feature matrices (read as JSON from stdin). numpy is what the Python
# peer KB's stack offers (hmmlearn is in its requirements but cannot be installed here: no PyPI).
import json, sys, time
import numpy as np

def fit(X, K=3, restarts=8, max_iter=300, tol=1e-6, floor=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    T, D = X.shape
    best = None
    for _ in range(restarts):
        means = X[rng.choice(T, K, replace=False)].copy()
        var = np.tile(np.maximum(X.var(axis=0), 1e-3), (K, 1))
        stay = 0.7 + 0.25 * rng.random()
        A = np.full((K, K), (1 - stay) / (K - 1)); np.fill_diagonal(A, stay)
        pi = np.full(K, 1.0 / K)
        prev = -np.inf
        for it in range(max_iter):
            logb = -0.5 * (np.log(2 * np.pi * var).sum(axis=1)[None, :] + (((X[:, None, :] - means[None]) ** 2) / var[None]).sum(axis=2))
            off = logb.max(axis=1, keepdims=True); B = np.exp(logb - off)
            alpha = np.empty((T, K)); c = np.empty(T)
            a = pi * B[0]; c[0] = a.sum(); alpha[0] = a / c[0]
            for t in range(1, T):
                a = (alpha[t - 1] @ A) * B[t]; c[t] = a.sum(); alpha[t] = a / c[t]
            ll = np.log(c).sum() + off.sum()
            beta = np.ones((T, K)); xi = np.zeros((K, K))
            for t in range(T - 2, -1, -1):
                w = B[t + 1] * beta[t + 1]
                xi += np.outer(alpha[t], w) * A / c[t + 1]
                beta[t] = (A @ w) / c[t + 1]
            gamma = alpha * beta; gamma /= gamma.sum(axis=1, keepdims=True)
            pi = np.maximum(gamma[0], 1e-12); pi /= pi.sum()
            A = np.maximum(xi / xi.sum(axis=1, keepdims=True), 1e-12); A /= A.sum(axis=1, keepdims=True)
            wsum = gamma.sum(axis=0)
            means = (gamma.T @ X) / wsum[:, None]
            var = (gamma.T @ (X ** 2)) / wsum[:, None] - means ** 2 + floor
            var = np.maximum(var, floor)
            if abs(ll - prev) < tol * max(1, abs(ll)): break
            prev = ll
        if best is None or ll > best: best = ll
    return best

matrices = json.load(sys.stdin)
started = time.perf_counter()
for m in matrices:
    fit(np.array(m, dtype=float))
print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "countries": len(matrices)}))
