#!/usr/bin/env python3
"""Reference values for the backtest engine and its metrics, computed independently with numpy.

Reads the S&P 500 daily bars of the npm package vega-datasets (node_modules/vega-datasets/data/
sp500-2000.csv: 5,105 bars, 2000-01-03..2020-04-17, so 5,104 daily returns) and writes
tests/trading/fixtures/sp500-reference.json. Run from the repository root:

    python3 scripts/trading-reference.py

Engine semantics (the same as tools/trading/backtest/engine.ts, written again here from the spec):
- the target position computed at bar t's close is traded at bar t+1's open;
- a buy fills at open × (1 + slippage), a sell at open × (1 − slippage); commission = |units × fill| × bps;
- on a change of target, an open position is closed first; an entry then commits `fraction` of the
  cash: units = side × fraction × cash / (fill × (1 + commission rate));
- equity at each close = cash + units × close; the run starts flat with 100,000 at bar 0's close.
Metrics follow empyrical (daily simple returns, ddof=1, 252, rf=0), win rate follows freqtrade
(closed trades with pnl > 0 / closed trades), turnover is pyfolio's portfolio_value variant averaged.
"""
import csv
import json
import math
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv')
OUT = os.path.join(ROOT, 'tests', 'trading', 'fixtures', 'sp500-reference.json')
ANN = 252
CAPITAL = 100_000.0


def load():
    with open(DATA, newline='') as handle:
        rows = list(csv.DictReader(handle))
    column = lambda name: np.array([float(r[name]) for r in rows])
    return [r['date'] for r in rows], column('open'), column('high'), column('low'), column('close')


def sma(x, n):
    out = np.full(len(x), np.nan)
    c = np.cumsum(np.insert(x, 0, 0.0))
    out[n - 1:] = (c[n:] - c[:-n]) / n
    return out


def ema_sma_seeded(x, n):
    out = np.full(len(x), np.nan)
    alpha = 2 / (n + 1)
    value = x[:n].mean()
    out[n - 1] = value
    for i in range(n, len(x)):
        value = x[i] * alpha + value * (1 - alpha)
        out[i] = value
    return out


def wilder_rsi(x, n):
    out = np.full(len(x), np.nan)
    d = np.diff(x)
    gains, losses = np.where(d > 0, d, 0.0), np.where(d < 0, -d, 0.0)
    g, l = gains[:n].mean(), losses[:n].mean()
    out[n] = 100.0 if l == 0 else 100 - 100 / (1 + g / l)
    for i in range(n + 1, len(x)):
        g = (g * (n - 1) + gains[i - 1]) / n
        l = (l * (n - 1) + losses[i - 1]) / n
        out[i] = 100.0 if l == 0 else 100 - 100 / (1 + g / l)
    return out


def crossover_targets(fast, slow, allow_short):
    t = np.zeros(len(fast), dtype=int)
    t[fast > slow] = 1
    if allow_short:
        t[fast < slow] = -1
    return t


def reversion_targets(values, lower, upper, allow_short):
    t, pos = np.zeros(len(values), dtype=int), 0
    for i, v in enumerate(values):
        if v < lower:
            pos = 1
        elif v > upper:
            pos = -1 if allow_short else 0
        t[i] = pos
    return t


def breakout_targets(close, high, low, lookback, exit_lookback, allow_short):
    def rolling(x, n, f):
        out = np.full(len(x), np.nan)
        for i in range(n - 1, len(x)):
            out[i] = f(x[i - n + 1:i + 1])
        return out
    entry_high, entry_low = rolling(high, lookback, np.max), rolling(low, lookback, np.min)
    exit_low, exit_high = rolling(low, exit_lookback, np.min), rolling(high, exit_lookback, np.max)
    t, pos = np.zeros(len(close), dtype=int), 0
    for i in range(1, len(close)):
        p = close[i]
        if pos == 1 and p < exit_low[i - 1]:
            pos = 0
        elif pos == -1 and p > exit_high[i - 1]:
            pos = 0
        if pos == 0:
            if p > entry_high[i - 1]:
                pos = 1
            elif allow_short and p < entry_low[i - 1]:
                pos = -1
        t[i] = pos
    return t


def volatility_share(closes, t, target):
    """min(maxLeverage, annual / sigma) from the lookback returns ending at bar t's close; None before."""
    lookback = target['lookback']
    if t < lookback:
        return None
    window = closes[t - lookback:t + 1]
    sigma = np.std(window[1:] / window[:-1] - 1, ddof=1) * math.sqrt(ANN)
    return min(target['maxLeverage'], target['annual'] / sigma)


def simulate(opens, closes, targets, commission_bps, slippage_bps, fraction, vol_target=None):
    rate, slip = commission_bps / 1e4, slippage_bps / 1e4
    n = len(closes)
    cash, units, side = CAPITAL, 0.0, 0
    equity, held, traded = [CAPITAL], np.zeros(n - 1), np.zeros(n - 1)
    trades, entry = [], None
    for t in range(1, n):
        want = targets[t - 1]
        if want != side:
            volume = 0.0
            if side != 0:
                q = -units
                price = opens[t] * (1 + slip) if q > 0 else opens[t] * (1 - slip)
                fee = abs(q * price) * rate
                cash -= q * price + fee
                volume += abs(q * price)
                trades.append((price - entry[0]) * units - entry[1] - fee)
                units, side = 0.0, 0
            share = fraction if vol_target is None else volatility_share(closes, t - 1, vol_target)
            if want != 0 and cash > 0 and share is not None and share > 0:
                price = opens[t] * (1 + slip) if want > 0 else opens[t] * (1 - slip)
                q = want * share * cash / (price * (1 + rate))
                fee = abs(q * price) * rate
                cash -= q * price + fee
                volume += abs(q * price)
                units, side, entry = q, want, (price, fee)
            traded[t - 1] = volume
        held[t - 1] = units
        equity.append(cash + units * closes[t])
    equity = np.array(equity)
    open_trade = side != 0
    return equity, held, traded, np.array(trades), open_trade


def return_metrics(r):
    n = len(r)
    growth = np.prod(1 + r)
    cumulative = 100 * np.cumprod(1 + r)
    cumulative = np.insert(cumulative, 0, 100.0)
    peak = np.maximum.accumulate(cumulative)
    mdd = float(np.min((cumulative - peak) / peak))
    std = np.std(r, ddof=1)
    downside = math.sqrt(np.mean(np.square(np.clip(r, None, 0)))) * math.sqrt(ANN)
    annual = growth ** (1 / (n / ANN)) - 1
    return {
        'totalReturn': float(growth - 1),
        'annualReturn': float(annual),
        'annualVolatility': float(std * math.sqrt(ANN)),
        'sharpe': float(np.mean(r) / std * math.sqrt(ANN)),
        'sortino': float(np.mean(r) * ANN / downside),
        'maxDrawdown': mdd,
        'calmar': float(annual / abs(mdd)) if mdd < 0 else None,
        'returnCount': n,
    }


def backtest(bars, targets, commission_bps, slippage_bps, fraction=1.0, vol_target=None):
    dates, opens, highs, lows, closes = bars
    equity, held, traded, pnls, open_trade = simulate(
        opens, closes, targets, commission_bps, slippage_bps, fraction, vol_target)
    r = equity[1:] / equity[:-1] - 1
    metrics = return_metrics(r)
    metrics.update({
        'winRate': float(np.sum(pnls > 0) / len(pnls)) if len(pnls) else None,
        'tradeCount': int(len(pnls)),
        'exposure': float(np.mean(held != 0)),
        'turnover': float(np.mean(traded / 2 / equity[1:])),
    })
    return {'metrics': metrics, 'finalEquity': float(equity[-1]), 'openTrade': bool(open_trade)}


def main():
    bars = load()
    dates, opens, highs, lows, closes = bars
    cases = []

    def case(name, strategy, costs, fraction, targets, vol_target=None):
        result = backtest(bars, targets, costs['commissionBps'], costs['slippageBps'], fraction, vol_target)
        sizing = {'fraction': fraction, **({'volatilityTarget': vol_target} if vol_target else {})}
        cases.append({'name': name, 'strategy': strategy, 'costs': costs, 'sizing': sizing, **result})

    case('sma_crossover 50/200 long-only with costs', {'type': 'sma_crossover', 'fast': 50, 'slow': 200},
         {'commissionBps': 5, 'slippageBps': 2}, 1.0, crossover_targets(sma(closes, 50), sma(closes, 200), False))
    case('sma_crossover 20/100 long-short, half of equity', {'type': 'sma_crossover', 'fast': 20, 'slow': 100, 'allowShort': True},
         {'commissionBps': 1, 'slippageBps': 1}, 0.5, crossover_targets(sma(closes, 20), sma(closes, 100), True))
    case('rsi_reversion 14 30/70 with shorts', {'type': 'rsi_reversion', 'period': 14, 'lower': 30, 'upper': 70, 'allowShort': True},
         {'commissionBps': 2, 'slippageBps': 3}, 1.0, reversion_targets(wilder_rsi(closes, 14), 30, 70, True))
    case('breakout 55/20 with shorts', {'type': 'breakout', 'lookback': 55, 'exitLookback': 20, 'allowShort': True},
         {'commissionBps': 1, 'slippageBps': 1}, 1.0, breakout_targets(closes, highs, lows, 55, 20, True))
    case('ema_crossover 12/26 long-short', {'type': 'ema_crossover', 'fast': 12, 'slow': 26, 'allowShort': True},
         {'commissionBps': 1, 'slippageBps': 1}, 1.0,
         crossover_targets(ema_sma_seeded(closes, 12), ema_sma_seeded(closes, 26), True))
    case('sma_crossover 50/200 with volatility targeting (15%, 20 bars, leverage ≤ 1.5)',
         {'type': 'sma_crossover', 'fast': 50, 'slow': 200}, {'commissionBps': 5, 'slippageBps': 2}, 1.0,
         crossover_targets(sma(closes, 50), sma(closes, 200), False),
         {'annual': 0.15, 'lookback': 20, 'maxLeverage': 1.5})
    buy_and_hold = return_metrics(closes[1:] / closes[:-1] - 1)
    document = {
        'generator': 'scripts/trading-reference.py',
        'numpy': np.__version__,
        'python': sys.version.split()[0],
        'data': 'node_modules/vega-datasets/data/sp500-2000.csv',
        'bars': len(closes),
        'first': dates[0],
        'last': dates[-1],
        'initialCapital': CAPITAL,
        'conventions': {'annualization': ANN, 'ddof': 1, 'riskFreePerPeriod': 0, 'sharpeBasis': 'daily_returns'},
        'buyAndHold': buy_and_hold,
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as handle:
        json.dump(document, handle, indent=2)
        handle.write('\n')
    print(f'wrote {OUT}: {len(cases)} cases on {len(closes)} bars')


if __name__ == '__main__':
    main()
