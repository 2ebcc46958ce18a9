"""feed_latency.py's figures: latencies per host, the feed's completeness, the intake against its ceilings,
and the one JSON line a run ends with."""

from __future__ import annotations

import argparse
import json
import os

import _wrk
from _scratch import cpu_canary_ms, percentile


def _latencies(hosts: list[dict], commits: dict[str, float], created: dict[str, float]) -> dict:
    """Commit → receive for what each host got live; what a resumed host replayed is counted apart."""
    live, live_from_created, replayed, catch_up = [], [], 0, []
    per_second: dict[int, list[float]] = {}
    start = min(commits.values(), default=0.0)
    for host in hosts:
        hellos = host["hellos"]
        for order_no, (received, connection) in host["received"].items():
            committed = commits.get(order_no)
            if committed is None:
                continue
            hello = hellos[connection - 1]
            if committed < hello:  # committed before this connection existed: a replay, not a live delivery
                replayed += 1
                catch_up.append(received - hello)
                continue
            live.append(received - committed)
            per_second.setdefault(int(committed - start), []).append(received - committed)
            if order_no in created:
                live_from_created.append(received - created[order_no])
    return {
        "live": live,
        "from_created": live_from_created,
        "replayed": replayed,
        "catch_up": catch_up,
        "per_second": per_second,
    }


def _check_hosts(hosts: list[dict], seqs: list[int], counter: int) -> dict:
    expected = set(range(1, counter + 1))
    lost = sum(len(expected - {int(s) for s in h["counts"]}) for h in hosts)
    duplicated = sum(sum(1 for c in h["counts"].values() if c > 1) for h in hosts)
    return {
        "lost": lost,
        "duplicated": duplicated,
        "numbering_ok": seqs == list(range(1, counter + 1)),
        "out_of_order": sum(h["out_of_order"] for h in hosts),
        "reconnects": sum(len(h["hellos"]) - 1 for h in hosts),
        "complete": sum(1 for h in hosts if {int(s) for s in h["counts"]} >= expected),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# The p99 goal is issue 11's for a big show: orders over HTTP at an offered 1,000 a second. The direct intake
# is a throughput probe at several times that rate; its hosts' latency is printed, with no goal beside it.
_P99_GOAL = {"http": " (goal < 100 at an offered 1,000/s)", "direct": " (no goal: a throughput probe)"}


def report(
    args: argparse.Namespace,
    generated: list[dict],
    state: dict,
    hosts: list[dict],
    viewers: dict,  # noqa: PLR0915, PLR0913
    cpu: dict,
    server_logs: str,
    start_at: float,
    ceilings: dict[str, dict],
) -> None:
    commits: dict[str, float] = {}
    for g in generated:
        commits.update(g["commits"])
    orders = len(commits)
    span = max(commits.values()) - start_at if commits else 0.0
    orders_per_s = orders / span if span else 0.0
    lat = _latencies(hosts, commits, state["created"])
    checks = _check_hosts(hosts, state["seqs"], state["counter"])
    live = lat["live"]
    errors = [e for g in generated for e in g["errors"]]
    due = sum(g["offered"] for g in generated)
    not_started = due - sum(g["started"] for g in generated)
    print(
        f"orders: {orders} committed of {due} due in the {args.seconds:.0f} s window"
        f"{f' ({not_started} never started: more than the intake could take)' if not_started else ''} → "
        f"{orders_per_s:.0f}/s over {span:.1f} s ({args.intake} intake; start lateness p50 "
        f"{max(g['late_p50_s'] for g in generated) * 1000:.0f} ms, max {max(g['late_max_s'] for g in generated):.1f} s)"
    )
    for problem in errors[:5]:
        print("  order error:", problem)
    print(
        f"database: {state['orders']} orders, stock left {state['remaining']}, feed numbered 1..{state['counter']} "
        f"{'without a gap' if checks['numbering_ok'] else 'WITH GAPS'}"
    )
    print(
        f"hosts: {len(hosts)} ({args.droppers} dropped {args.drops_each}× and resumed after {args.pause} s; "
        f"{checks['reconnects']} reconnects); {checks['complete']}/{len(hosts)} saw every seq; lost {checks['lost']}, "
        f"duplicated {checks['duplicated']}, out of order {checks['out_of_order']}"
    )
    for h in hosts:
        if h["errors"]:
            print(f"  host {h['index']}: {', '.join(h['errors'][:3])}")
    print(
        f"latency commit → host, live deliveries ({len(live)}): p50 {_ms(percentile(live, 50))} ms, p95 "
        f"{_ms(percentile(live, 95))} ms, p99 {_ms(percentile(live, 99))} ms{_P99_GOAL[args.intake]}, max {_ms(max(live, default=0))} ms"
    )
    created = lat["from_created"]
    print(
        f"  from the event row's created_at (stamped before the commit: an upper bound): p50 {_ms(percentile(created, 50))} ms,"
        f" p99 {_ms(percentile(created, 99))} ms"
    )
    if lat["replayed"]:
        print(
            f"  caught up after a reconnect: {lat['replayed']} orders, within {_ms(max(lat['catch_up']))} ms of "
            f"the new hello"
        )
    timeline = "  ".join(f"{sec}s:{_ms(percentile(v, 99)):.0f}" for sec, v in sorted(lat["per_second"].items()))
    print(f"  p99 ms by second of commit: {timeline}")
    print(
        f"viewers: {viewers['viewers']}, {viewers['messages']} messages (fewest for one viewer "
        f"{viewers['min_messages']}), phone numbers seen {viewers['leaks']}, ended on the final stock "
        f"{viewers['up_to_date']}/{viewers['viewers']}"
    )
    for problem in viewers["errors"][:5]:
        print("  viewer error:", problem)
    machine = cpu.pop("machine")
    loadavg = cpu.pop("loadavg")
    if orders:
        print(
            f"CPU per order in the generators: {sum(g['cpu_s'] for g in generated) / orders * 1000:.1f} ms "
            f"({args.intake} intake, all its round trips included)"
        )
    print(
        "cores busy during the load: "
        + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
        + f"; whole machine {machine:.2f} of {os.cpu_count()} (the rest: other work on this machine); "
        f"load average {loadavg[0]:.2f}→{loadavg[3]:.2f}"
    )
    intake = _intake_figures(args, generated, orders_per_s, ceilings)
    tracebacks = server_logs.count("Traceback")
    if tracebacks:
        print(f"  server logs hold {tracebacks} traceback(s); last lines:\n{server_logs[-1500:]}")
    result = {
        "p99_ms": _ms(percentile(live, 99)),
        "p50_ms": _ms(percentile(live, 50)),
        "p95_ms": _ms(percentile(live, 95)),
        "max_ms": _ms(max(live, default=0)),
        "events": state["counter"],
        "lost": checks["lost"],
        "duplicated": checks["duplicated"],
        "clients": len(hosts) + viewers["viewers"],
        "hosts": len(hosts),
        "viewers": viewers["viewers"],
        "orders": orders,
        "orders_per_s": round(orders_per_s, 1),
        "offered_per_s": args.rate,
        "orders_due": due,
        "seconds": args.seconds,
        "reconnects": checks["reconnects"],
        "intake": args.intake,
        "servers": args.servers,
        "viewer_leaks": viewers["leaks"],
        "hosts_complete": checks["complete"],
        "database": "postgresql",
        "cpu": {k: round(v, 3) for k, v in cpu.items()} | {"machine": round(machine, 3)},
        "loadavg": loadavg,
        "cpu_canary_ms": cpu_canary_ms(),
        **intake,
    }
    print(json.dumps(result))


def _intake_figures(
    args: argparse.Namespace, generated: list[dict], orders_per_s: float, ceilings: dict[str, dict]
) -> dict:
    """With the http intake: statuses, wrk's saturation, and the intake rate against the trivial ceiling."""
    if args.intake != "http":
        return {}
    statuses: dict[str, int] = {}
    for g in generated:
        for key, n in g["statuses"].items():
            statuses[key] = statuses.get(key, 0) + n
    saturated = [f"intake wrk {k}" for k, g in enumerate(generated) if g["client_saturated"]]
    saturated += [run["name"] for run in ceilings.values() if run["client_saturated"]]
    print(
        f"intake statuses: {statuses}; wrk busiest thread "
        f"{max(g['client_busiest_thread'] for g in generated):.2f} of a core"
    )
    trivial, bare = ceilings["trivial"], ceilings["bare"]
    ratio = None if saturated or not trivial["per_s"] else round(orders_per_s / trivial["per_s"], 3)
    if saturated:
        print(f"NOTE: load generator saturated in {', '.join(saturated)}: no ratio")
    else:
        print(
            f"intake {orders_per_s:.0f} orders/s (offered {args.rate:.0f}) / trivial POST {trivial['per_s']:.0f} "
            f"= {ratio:.2f}; " + _wrk.ratio_words("trivial / bare", trivial, bare, "goal ≥ 0.7")
        )
    return {
        "intake_statuses": statuses,
        "trivial_per_s": round(trivial["per_s"], 1),
        "bare_per_s": round(bare["per_s"], 1),
        "intake_ratio": ratio,
        "trivial_ratio": _wrk.ratio(trivial, bare),
        "client_saturated": bool(saturated),
        "saturation": ", ".join(saturated) or None,
        "phases": {run["name"]: _wrk.summary(run) for run in ceilings.values()},
    }
