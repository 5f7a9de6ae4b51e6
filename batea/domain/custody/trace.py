"""Trace a lot back to the sites and members it came from, or forward to where it went.

Input is plain data, so the same rules serve the in-memory ledger, the database and the
benchmark: edges `(parent_id, child_id, fine_g)` — the fine grams a child took from a
parent — and origins `lot_id → [(site_id, member_id, weight)]`, the weight being a share or
the miner-days each member put into a produced lot.

Shares are exact fractions, so a lot's origin shares sum to exactly 1 however many merges,
splits and refinings lie between. Each lot's composition is computed once (memoised,
iteratively, so neither a wide DAG with exponentially many paths nor a long chain hurts),
and a cycle — which a custody graph can never legitimately have — is an error.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from batea.domain.custody import CustodyError
from batea.domain.messages import Problem, gettext_noop

Key = tuple[str | None, str | None]  # (site, member); (None, None) is an unknown origin
UNKNOWN: Key = (None, None)
AMOUNT_PLACES = 6  # origins' grams are given to the microgram (finer if the lot's content is)


@dataclass(frozen=True)
class Graph:
    """Edges indexed both ways, with the fine grams of repeated edges added up."""

    parents: Mapping[str, Mapping[str, Decimal]]
    children: Mapping[str, Mapping[str, Decimal]]

    @classmethod
    def from_edges(cls, edges: Iterable[Sequence[Any]]) -> "Graph":
        """Index `(parent, child, fine_g)` edges; a negative amount or a self-loop raises."""
        parents: dict[str, dict[str, Decimal]] = defaultdict(dict)
        children: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for parent, child, fine_g in edges:
            amount = Decimal(fine_g)
            if not amount.is_finite() or amount < 0:
                raise CustodyError(
                    [
                        Problem(
                            "edges",
                            gettext_noop(
                                "The edge from lot %(parent)s to lot %(child)s carries "
                                "%(fine_g)s g: fine grams must be zero or more."
                            ),
                            {"parent": parent, "child": child, "fine_g": fine_g},
                        )
                    ]
                )
            if parent == child:
                raise CustodyError([_cycle_problem([parent, child])])
            parents[child][parent] = parents[child].get(parent, Decimal(0)) + amount
            children[parent][child] = children[parent].get(child, Decimal(0)) + amount
        return cls(dict(parents), dict(children))


@dataclass(frozen=True)
class OriginShare:
    """One origin of a lot: its exact share of the lot's fine content and the grams."""

    site: str | None
    member: str | None
    share: Fraction
    fine_g: Decimal
    depth: int  # the most custody steps between the lot and this origin


@dataclass(frozen=True)
class BackTrace:
    lot: str
    fine_g: Decimal
    origins: tuple[OriginShare, ...]
    depth: int  # the most custody steps back to any origin (0 for a produced lot)


@dataclass(frozen=True)
class Descendant:
    """A lot made (partly) from the traced one: how much of it comes from there, where it went."""

    lot: str
    share: Fraction  # of this lot's fine content, the part that comes from the traced lot
    depth: int  # the most custody steps from the traced lot
    sold_to: str | None
    final: bool  # nothing was made from it (yet): it was sold, or is still held


@dataclass(frozen=True)
class ForwardTrace:
    lot: str
    descendants: tuple[Descendant, ...]  # parents before children

    @property
    def sales(self) -> tuple[Descendant, ...]:
        """The descendants that left the chain, sold to a buyer."""
        return tuple(d for d in self.descendants if d.sold_to is not None)


def largest_remainder(
    total: Decimal, weights: Sequence[Fraction | Decimal | int], places: int = AMOUNT_PLACES
) -> list[Decimal]:
    """Split `total` in proportion to `weights`, in units of `places` decimals (or of
    total's own last decimal place, if finer).

    The parts sum to `total` exactly: each gets the floor of its exact portion, and the
    units left over go to the largest remainders (the earlier weight wins a tie).
    """
    exponent = min(int(total.as_tuple().exponent), -places)
    units = int(total.scaleb(-exponent))
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("largest_remainder needs a positive total weight")
    exact = [Fraction(units) * Fraction(w) / weight_sum for w in weights]
    floors = [e.numerator // e.denominator for e in exact]
    left = units - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(n).scaleb(exponent) for n in floors]


def trace_back(
    lot_id: str,
    edges: Iterable[Sequence[Any]] | Graph,
    origins: Mapping[str, Iterable[Sequence[Any]]],
    fine_g: Decimal | None = None,
) -> BackTrace:
    """Each origin site and member of a lot, with its exact share and its fine grams.

    `fine_g` is the lot's fine content; by default the grams of its incoming edges. Grams
    are split by largest remainder to the microgram (or to the last decimal place of
    `fine_g`, if finer), so they sum to it exactly; each is within one such unit of its
    exact share. A lot with no parents and no recorded origin counts as an unknown
    origin (site and member None), so its share stays visible rather than vanishing.
    """
    graph = edges if isinstance(edges, Graph) else Graph.from_edges(edges)
    _require_known(lot_id, graph, origins)
    if fine_g is None:
        fine_g = _incoming_fine(lot_id, graph, origins)
    compositions = _compositions(lot_id, graph, origins)
    composition = compositions[lot_id]
    keys = sorted(composition, key=lambda k: (-composition[k][0], k[0] or "", k[1] or ""))
    amounts = largest_remainder(fine_g, [composition[k][0] for k in keys])
    shares = tuple(
        OriginShare(k[0], k[1], composition[k][0], amount, composition[k][1])
        for k, amount in zip(keys, amounts, strict=True)
    )
    return BackTrace(lot_id, fine_g, shares, max(s.depth for s in shares))


def trace_forward(
    lot_id: str,
    edges: Iterable[Sequence[Any]] | Graph,
    sold_to: Mapping[str, str] | None = None,
) -> ForwardTrace:
    """Every lot made (partly) from `lot_id`, the share of it that comes from there, and
    which buyer each sold one went to."""
    graph = edges if isinstance(edges, Graph) else Graph.from_edges(edges)
    sold_to = sold_to or {}
    order = list(reversed(_postorder(lot_id, lambda n: graph.children.get(n, {}))))
    share: dict[str, Fraction] = {lot_id: Fraction(1)}
    depth: dict[str, int] = {lot_id: 0}
    descendants = []
    for node in order[1:]:  # parents come before children; order[0] is the lot itself
        incoming = graph.parents[node]
        total = sum((Fraction(w) for w in incoming.values()), Fraction(0))
        reached = [p for p in incoming if p in share]
        share[node] = (
            sum((share[p] * Fraction(incoming[p]) for p in reached), Fraction(0)) / total
            if total
            else Fraction(0)
        )
        depth[node] = max(depth[p] for p in reached) + 1
        final = not graph.children.get(node)
        descendants.append(Descendant(node, share[node], depth[node], sold_to.get(node), final))
    return ForwardTrace(lot_id, tuple(descendants))


def _require_known(lot_id: str, graph: Graph, origins: Mapping[str, Any]) -> None:
    if lot_id in origins or lot_id in graph.parents or lot_id in graph.children:
        return
    raise CustodyError(
        [Problem("lot", gettext_noop("There is no lot %(lot)s to trace."), {"lot": lot_id})]
    )


def _incoming_fine(lot_id: str, graph: Graph, origins: Mapping[str, Any]) -> Decimal:
    if lot_id in graph.parents and lot_id not in origins:
        return sum(graph.parents[lot_id].values(), Decimal(0))
    raise CustodyError(
        [
            Problem(
                "fine_g",
                gettext_noop("Give the fine content of lot %(lot)s: it has no parent lots."),
                {"lot": lot_id},
            )
        ]
    )


def _origin_composition(lot_id: str, rows: Iterable[Sequence[Any]]) -> dict[Key, Fraction]:
    """A produced lot's split among (site, member) by weight (share or miner-days)."""
    weights: dict[Key, Fraction] = defaultdict(Fraction)
    for site, member, weight in rows:
        value = Fraction(weight)
        if value < 0:
            raise CustodyError(
                [
                    Problem(
                        "origins",
                        gettext_noop("Lot %(lot)s gives member %(member)s a negative weight."),
                        {"lot": lot_id, "member": member},
                    )
                ]
            )
        weights[(site, member)] += value
    total = sum(weights.values(), Fraction(0))
    if not total:
        return {UNKNOWN: Fraction(1)}
    return {key: w / total for key, w in weights.items() if w}


def _compositions(
    root: str, graph: Graph, origins: Mapping[str, Iterable[Sequence[Any]]]
) -> dict[str, dict[Key, tuple[Fraction, int]]]:
    """Composition (share, depth) of every lot upstream of root, each computed once."""

    def parents(node: str) -> Iterable[str]:
        return () if node in origins else graph.parents.get(node, {})

    memo: dict[str, dict[Key, tuple[Fraction, int]]] = {}
    for node in _postorder(root, parents):
        if node in origins:
            memo[node] = {k: (s, 0) for k, s in _origin_composition(node, origins[node]).items()}
        elif node not in graph.parents:
            memo[node] = {UNKNOWN: (Fraction(1), 0)}
        else:
            memo[node] = _combine(node, graph.parents[node], memo)
    return memo


def _combine(
    node: str, incoming: Mapping[str, Decimal], memo: Mapping[str, dict[Key, tuple[Fraction, int]]]
) -> dict[Key, tuple[Fraction, int]]:
    """Mix the parents' compositions in proportion to the fine grams taken from each."""
    total = sum((Fraction(w) for w in incoming.values()), Fraction(0))
    if not total:
        raise CustodyError(
            [
                Problem(
                    "edges",
                    gettext_noop("Lot %(lot)s has parent lots but took no fine grams from them."),
                    {"lot": node},
                )
            ]
        )
    mixed: dict[Key, tuple[Fraction, int]] = {}
    for parent, grams in incoming.items():
        if not grams:
            continue  # a parent that gave nothing is not an origin of this lot
        weight = Fraction(grams) / total
        for key, (share, depth) in memo[parent].items():
            before, deepest = mixed.get(key, (Fraction(0), 0))
            mixed[key] = (before + weight * share, max(deepest, depth + 1))
    return mixed


def _postorder(root: str, neighbours: Callable[[str], Iterable[str]]) -> list[str]:
    """Nodes reachable from root, each after all its neighbours; a cycle raises.

    Iterative, so a chain of any length fits in memory rather than in Python's stack.
    """
    order: list[str] = []
    done: set[str] = set()
    path = [root]
    on_path = {root}
    stack = [iter(neighbours(root))]
    while stack:
        for nxt in stack[-1]:
            if nxt in on_path:
                raise CustodyError([_cycle_problem(path[path.index(nxt) :] + [nxt])])
            if nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(neighbours(nxt)))
                break
        else:
            stack.pop()
            node = path.pop()
            on_path.discard(node)
            done.add(node)
            order.append(node)
    return order


def _cycle_problem(lots: list[str]) -> Problem:
    return Problem(
        "edges",
        gettext_noop("The custody graph has a cycle (%(lots)s): a lot cannot be made from itself."),
        {"lots": " → ".join(lots)},
    )
