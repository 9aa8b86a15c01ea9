"""The teaching page: a Mesa/Solara app to watch a campaign spread and move its levers.

Start it with `campaignsim app [FILE]` (or `solara run campaignsim.app`). The page has

- a scenario picker over the scenario folder (FILE's folder, default the bundled
  scenarios); choosing a scenario rebuilds the model and resets the levers to its values;
- only the controls a class needs: Mesa's ModelController (Reset, play/pause, Step) and a
  speed in weeks per second; Mesa's play interval, render interval and threads switch are
  not shown. The levers: the seed as a number field, sliders captioned with their value
  and unit (hybrid alignment and capacity, broadcast intensity, co-design share,
  champions, threshold mean and spread) and how champions are chosen. As in every Mesa
  page, a moved lever takes effect when Reset is pressed;
- the scenario's question (from its file's header) above the staff network coloured by
  state (role by marker, departments as labelled clusters), adoption curves by state,
  cumulative enrolments by channel, a week counter and the headline outcomes.

Design choices:

- The network is drawn by our own matplotlib component from positions computed once per
  staff graph (`staff_layout`: departments as labelled discs on a ring, professions as
  sectors of each disc, hybrids at the centre of their department, managers in the
  middle; deterministic, no force-directed layout). Mesa's SpaceRenderer would need a
  `Network` space (a cell object per node) and recomputes `nx.spring_layout` whenever a
  renderer is copied on Reset; our layout costs milliseconds and stays put.
- The page composes Mesa's ModelController with its own sidebar and dashboard instead of
  using SolaraViz, whose sidebar always shows the play and render intervals and the
  threads switch, whose sliders hide their values until touched, and which places each
  component in a half-width, 300-pixel tile too small for a network of a thousand
  staff. The views subscribe to Mesa's `update_counter`, so Step, play and Reset redraw
  them exactly as they would a SolaraViz component.
- The model is `TeachingModel`, a thin subclass of `CampaignModel` whose keyword
  arguments are the slider values; it never touches Mesa 3.5's reserved `model.scenario`.
- Works offline: every script and style is served from the installed `solara-assets`
  package (see the `app` extra in pyproject.toml); `campaignsim app` turns off Solara's
  version check and telemetry.
"""

from __future__ import annotations

import html
import io
import math
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView calls a hook after an early return; Solara warns about it on
    # import (fixed in Mesa 3.5). Harmless here: this page does not use ComponentsView.
    warnings.filterwarnings("ignore", message=".*found despite early return",
                            category=UserWarning)
    from mesa.visualization.solara_viz import ModelController  # noqa: E402
    from mesa.visualization.utils import update_counter  # noqa: E402

from .agents import HybridLeader  # noqa: E402
from .bundled import bundled_folder, question_of  # noqa: E402
from .model import CampaignModel  # noqa: E402
from .outcomes import summarise  # noqa: E402
from .plots import STATE_COLOURS  # noqa: E402
from .scenario import (  # noqa: E402
    CHANNELS, STATES, Beta, Normal, Scenario, ScenarioError, Uniform, load_scenario,
    validate_scenario,
)

#: Environment variables `campaignsim app` passes to the Solara server process.
ENV_FILE = "CAMPAIGNSIM_APP_FILE"
ENV_FOLDER = "CAMPAIGNSIM_APP_FOLDER"

CHANNEL_COLOURS = {"seed": "#7f7f7f", "broadcast": "#d62728", "event": "#ff7f0e",
                   "mandate": "#8c564b", "hybrid": "#9467bd", "peer": "#1f77b4",
                   "champion": "#2ca02c"}
HYBRID_COLOUR, MANAGER_COLOUR = "#54278f", "#252525"
CHAMPION_RULES = ("random", "degree", "betweenness")
MAX_DRAWN_TIES = 3000


# --- the scenario catalogue ------------------------------------------------------------


def scenario_catalogue(file: str | Path | None = None,
                       folder: str | Path | None = None) -> dict[str, Path]:
    """Scenario files the picker offers, by name (file stem), the chosen one first.

    The folder is `folder`, else FILE's folder, else `./scenarios`, else the bundled
    scenarios.
    """
    file = Path(file) if file else None
    candidates = [Path(folder)] if folder else []
    if file is not None:
        candidates.append(file.parent)
    candidates += [Path("scenarios"), bundled_folder()]
    files: list[Path] = [file] if file is not None else []
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            files += sorted(candidate.glob("*.toml"), key=lambda p: (p.stem != "baseline", p.stem))
            break
    catalogue: dict[str, Path] = {}
    for path in files:
        catalogue.setdefault(path.stem, path.resolve())
    return catalogue


def _environment_catalogue() -> dict[str, Path]:
    return scenario_catalogue(os.environ.get(ENV_FILE) or None,
                              os.environ.get(ENV_FOLDER) or None)


@lru_cache(maxsize=64)
def _load(path: str) -> Scenario:
    return load_scenario(path)


def load_named(name: str, catalogue: dict[str, Path] | None = None) -> Scenario:
    """The scenario called `name` in the catalogue (ScenarioError if unknown or invalid)."""
    catalogue = _environment_catalogue() if catalogue is None else catalogue
    if name not in catalogue:
        raise ScenarioError(None, "scenario", f"unknown scenario {name!r}; "
                            f"allowed: {', '.join(catalogue)}")
    return _load(str(catalogue[name]))


# --- the levers ------------------------------------------------------------------------


def _mean_sd(value) -> tuple[float, float]:
    """Mean and standard deviation of a number or a distribution table."""
    if isinstance(value, Normal):
        return value.mean, value.sd
    if isinstance(value, Beta):
        a, b = value.a, value.b
        return a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    if isinstance(value, Uniform):
        return (value.low + value.high) / 2, (value.high - value.low) / math.sqrt(12)
    return float(value), 0.0


def lever_defaults(spec: Scenario) -> dict:
    """The lever values that reproduce `spec` (the sliders' starting positions).

    A mechanism that is off reads as 0 (capacity, intensity, share, champions).
    """
    hybrids, broadcast, codesign = spec.on("hybrids"), spec.on("broadcast"), spec.on("codesign")
    champions, peer = spec.on("champions"), spec.on("peer")
    alignment_table = spec.hybrids if spec.hybrids is not None else None
    threshold_mean, threshold_sd = (_mean_sd(peer.threshold) if peer is not None
                                    else (0.25, 0.1))
    return {
        "seed": spec.seed,
        "hybrid_alignment": round(_mean_sd(alignment_table.alignment)[0], 4)
        if alignment_table is not None else 0.8,
        "hybrid_capacity": hybrids.capacity if hybrids else 0,
        "broadcast_intensity": broadcast.intensity if broadcast else 0.0,
        "codesign_share": codesign.share if codesign else 0.0,
        "champions": spec.staff.champions if champions else 0,
        "champion_rule": (spec.champions.rule if spec.champions is not None
                          else "degree"),
        "threshold_mean": round(threshold_mean, 4),
        "threshold_spread": round(threshold_sd, 4),
    }


def _differs(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a != b
    return abs(float(a) - float(b)) > 1e-9


def apply_levers(spec: Scenario, **levers) -> Scenario:
    """A validated variant of `spec` with the levers that differ from its own values.

    Levers equal to `lever_defaults(spec)` leave the scenario untouched (a distribution
    stays a distribution). Otherwise: hybrid capacity > 0 turns [hybrids] on; broadcast
    intensity 0 turns [broadcast] off and > 0 on; co-design share > 0 turns [codesign] on;
    champions 0 turns [champions] off and > 0 on (with the rule); threshold mean and
    spread set a normal threshold distribution when peer influence uses the threshold
    rule (they do nothing for other rules). The seed is the model's, not the scenario's.
    """
    defaults = lever_defaults(spec)
    unknown = set(levers) - set(defaults)
    if unknown:
        raise TypeError(f"unknown levers: {sorted(unknown)}")
    changed = {k: v for k, v in levers.items() if k != "seed" and _differs(v, defaults[k])}
    if not changed:
        return spec
    data = spec.model_dump(mode="json")

    def table(name: str) -> dict:
        current = data.get(name)
        if current is None:
            current = data[name] = {}
        return current

    value = lambda key: changed.get(key, defaults[key])  # noqa: E731
    if "hybrid_alignment" in changed or "hybrid_capacity" in changed:
        hybrids = table("hybrids")
        if "hybrid_alignment" in changed:
            hybrids["alignment"] = float(value("hybrid_alignment"))
        if "hybrid_capacity" in changed:
            hybrids["capacity"] = int(value("hybrid_capacity"))
            if value("hybrid_capacity") > 0:
                hybrids["enabled"] = True
    if "broadcast_intensity" in changed:
        broadcast = table("broadcast")
        intensity = float(value("broadcast_intensity"))
        broadcast["enabled"] = intensity > 0
        if intensity > 0:
            broadcast["intensity"] = intensity
    if "codesign_share" in changed:
        codesign = table("codesign")
        codesign["share"] = float(value("codesign_share"))
        codesign["enabled"] = codesign["share"] > 0 or spec.on("codesign") is not None
    if "champions" in changed or "champion_rule" in changed:
        count = int(value("champions"))
        champions = table("champions")
        champions["enabled"] = count > 0
        data["staff"]["champions"] = count
        if count > 0:
            champions["rule"] = value("champion_rule")
    if "threshold_mean" in changed or "threshold_spread" in changed:
        peer = spec.on("peer")
        if peer is not None and peer.rule == "threshold":
            data["peer"]["threshold"] = {"distribution": "normal",
                                         "mean": float(value("threshold_mean")),
                                         "sd": float(value("threshold_spread"))}
    return validate_scenario(data)


@dataclass(frozen=True)
class Lever:
    """A slider of the page: its label and unit (shown with its value), range and step."""

    label: str
    unit: str
    low: float
    high: float
    step: float

    @property
    def whole(self) -> bool:
        return float(self.step).is_integer()

    def text(self, value) -> str:
        """The slider's caption: label, value and unit ("Hybrid capacity: 3 clinicians a
        week")."""
        number = f"{int(value)}" if self.whole else f"{value:.{_decimals(self.step)}f}"
        return f"{self.label}: {number} {self.unit}".rstrip()


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


#: The sliders, in page order (the seed is a number field, the champion rule a select).
LEVERS = {
    "hybrid_alignment": Lever("Hybrid alignment", "(0 mediating – 1 management's frame)",
                              0.0, 1.0, 0.01),
    "hybrid_capacity": Lever("Hybrid capacity", "clinicians a week", 0, 15, 1),
    "broadcast_intensity": Lever("Broadcast intensity", "enrolment hazard a week", 0.0, 0.1,
                                 0.001),
    "codesign_share": Lever("Co-design share", "of the programme", 0.0, 1.0, 0.05),
    "champions": Lever("Champions", "staff", 0, 100, 1),
    "threshold_mean": Lever("Threshold mean", "share of neighbours", 0.0, 1.0, 0.01),
    "threshold_spread": Lever("Threshold spread", "(sd)", 0.0, 0.5, 0.01),
}
#: Play speeds the page offers, in weeks per second.
SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 10, 5


def lever_ranges(spec: Scenario) -> dict[str, Lever]:
    """The sliders for `spec`: each range widened to hold the scenario's own value."""
    d = lever_defaults(spec)
    return {key: Lever(lever.label, lever.unit, lever.low, max(lever.high, float(d[key])),
                       lever.step) for key, lever in LEVERS.items()}


def model_params(spec: Scenario, name: str | None = None) -> dict:
    """The model's keyword arguments for a scenario (`name`: its catalogue name, default
    its own) at its own lever values: what Reset builds before a lever moves."""
    return {"scenario_name": name or spec.name, **lever_defaults(spec)}


def champion_rules(spec: Scenario) -> tuple[str, ...]:
    """Champion rules the selector offers ("formal" only where the scenario uses it)."""
    if spec.champions is not None and spec.champions.rule == "formal":
        return (*CHAMPION_RULES, "formal")
    return CHAMPION_RULES


# --- the model -------------------------------------------------------------------------


class TeachingModel(CampaignModel):
    """CampaignModel built from a named scenario and the page's lever values.

    Args:
        scenario_name: a scenario of the catalogue (file stem).
        seed: the model's seed.
        hybrid_alignment ... threshold_spread: lever values (see `apply_levers`); None
            keeps the scenario's own value.
    """

    def __init__(self, scenario_name: str = "baseline", seed: int | None = None,
                 hybrid_alignment: float | None = None, hybrid_capacity: int | None = None,
                 broadcast_intensity: float | None = None, codesign_share: float | None = None,
                 champions: int | None = None, champion_rule: str | None = None,
                 threshold_mean: float | None = None, threshold_spread: float | None = None):
        base = load_named(scenario_name)
        levers = {k: v for k, v in dict(
            hybrid_alignment=hybrid_alignment, hybrid_capacity=hybrid_capacity,
            broadcast_intensity=broadcast_intensity, codesign_share=codesign_share,
            champions=champions, champion_rule=champion_rule, threshold_mean=threshold_mean,
            threshold_spread=threshold_spread).items() if v is not None}
        spec = apply_levers(base, **levers)
        super().__init__(spec, seed=base.seed if seed is None else int(seed))
        self.base_spec = base
        self.layout = staff_layout(self)


# --- drawing ---------------------------------------------------------------------------


class StaffLayout:
    """Positions of every staff member, computed once per model (no randomness)."""

    def __init__(self, clinicians: np.ndarray, hybrid_nodes: list, hybrids: np.ndarray,
                 managers: np.ndarray, labels: list[tuple[float, float, str, str]],
                 ties: np.ndarray):
        self.clinicians = clinicians      # (n, 2), population order
        self.hybrid_nodes = hybrid_nodes  # graph node ids of the hybrids, in `hybrids` order
        self.hybrids = hybrids            # (h, 2)
        self.managers = managers          # (m, 2)
        self.labels = labels              # department labels (x, y, text, alignment)
        self.ties = ties                  # (k, 2, 2) segments drawn: ties between departments


def _sunflower(count: int) -> np.ndarray:
    """`count` evenly spread points in the unit disc (Vogel's spiral)."""
    if count == 0:
        return np.zeros((0, 2))
    index = np.arange(count) + 0.5
    radius = np.sqrt(index / count)
    angle = index * math.pi * (3 - math.sqrt(5))
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def staff_layout(model: CampaignModel) -> StaffLayout:
    """Departments as discs on a ring (a spiral beyond 16), professions as sectors of each
    disc, hybrids at the centre of their department, managers in the middle."""
    population, graph = model.population, model.graph
    n_departments = len(population.department_names)
    sizes = np.bincount(population.department, minlength=n_departments)
    radii = np.sqrt(np.maximum(sizes, 1))
    largest = radii.max() if n_departments else 1.0
    # Departments in natural order (their codes sort names as text: 0, 1, 10, 11, 2, ...).
    names = population.department_names

    def natural(d: int) -> tuple:
        number = isinstance(names[d], (int, np.integer))
        return (not number, names[d] if number else 0, str(names[d]))

    order = sorted(range(n_departments), key=natural)
    slot = np.empty(n_departments, dtype=np.int64)
    slot[order] = np.arange(n_departments)
    if n_departments <= 16:
        ring = max(largest * 1.2 * n_departments / math.pi, 2.2 * largest)
        angle = math.pi / 2 - 2 * math.pi * slot / max(n_departments, 1)
        centres = ring * np.column_stack([np.cos(angle), np.sin(angle)])
    else:
        centres = (_sunflower(n_departments + 1)[1:][slot] * 1.2 * largest
                   * math.sqrt(n_departments + 1))
    positions = np.zeros((len(population), 2))
    for d in range(n_departments):
        members = np.flatnonzero(population.department == d)
        points = _sunflower(len(members)) * radii[d]
        # Professions take sectors: points sorted by angle go to members sorted by profession.
        by_angle = np.argsort(np.arctan2(points[:, 1], points[:, 0]), kind="stable")
        by_profession = members[np.argsort(population.profession[members], kind="stable")]
        positions[by_profession] = points[by_angle] + centres[d]
    labels = []
    for d, name in enumerate(population.department_names):
        direction = centres[d] / (np.linalg.norm(centres[d]) or 1.0)
        x, y = centres[d] + direction * (radii[d] + 0.3 * largest)
        text = f"dept {int(name) + 1}" if isinstance(name, (int, np.integer)) else str(name)
        align = "left" if direction[0] > 0.35 else "right" if direction[0] < -0.35 else "center"
        labels.append((float(x), float(y), text, align))
    code = {name: i for i, name in enumerate(population.department_names)}
    hybrid_nodes = [a.node for a in model.agents_by_type.get(HybridLeader, [])]
    hybrid_positions = np.zeros((len(hybrid_nodes), 2))
    per_department: dict[int, int] = {}
    departments = [code.get(graph.nodes[node]["department"], -1) for node in hybrid_nodes]
    counts = np.bincount([d + 1 for d in departments], minlength=n_departments + 1)
    for i, d in enumerate(departments):
        k = per_department.get(d, 0)
        per_department[d] = k + 1
        total = counts[d + 1]
        offset = 0.18 * largest * np.array([math.cos(2 * math.pi * k / total),
                                            math.sin(2 * math.pi * k / total)]) * (total > 1)
        hybrid_positions[i] = (centres[d] if d >= 0 else np.zeros(2)) + offset
    managers = [n for n, role in graph.nodes(data="role") if role == "manager"]
    manager_positions = _sunflower(len(managers)) * 0.35 * largest
    # Ties between departments (the bridges peer influence crosses); those within a
    # department are dense and would only grey the discs.
    coo = population.adjacency.tocoo()
    upper = coo.row < coo.col
    rows, cols = coo.row[upper], coo.col[upper]
    between = population.department[rows] != population.department[cols]
    rows, cols = rows[between], cols[between]
    if len(rows) > MAX_DRAWN_TIES:
        keep = np.random.default_rng(0).choice(len(rows), MAX_DRAWN_TIES, replace=False)
        rows, cols = rows[np.sort(keep)], cols[np.sort(keep)]
    ties = np.stack([positions[rows], positions[cols]], axis=1)
    return StaffLayout(positions, hybrid_nodes, hybrid_positions, manager_positions, labels,
                       ties)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fast zlib level: these frames are redrawn every week and never leave this machine.
    figure.savefig(buffer, format="png", dpi=figure.dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def network_figure(model: CampaignModel) -> Figure:
    """The staff network: clinicians coloured by state, role by marker."""
    layout = getattr(model, "layout", None) or staff_layout(model)
    population = model.population
    figure = Figure(figsize=(6.4, 6.2), dpi=100)
    axes = figure.add_axes((0.0, 0.0, 1.0, 0.9))
    axes.set_axis_off()
    axes.set_aspect("equal")
    axes.add_collection(LineCollection(layout.ties, colors="#9e9e9e", linewidths=0.4,
                                       alpha=0.2, zorder=1))
    everything = np.vstack([layout.clinicians, layout.hybrids, layout.managers,
                            [(x, y) for x, y, _, _ in layout.labels] or np.zeros((0, 2))])
    if len(everything):
        low, high = everything.min(axis=0), everything.max(axis=0)
        pad = 0.04 * (high - low).max()
        axes.set_xlim(low[0] - 2.5 * pad, high[0] + 2.5 * pad)  # room for the side labels
        axes.set_ylim(low[1] - pad, high[1] + pad)
    colours = np.array([STATE_COLOURS[s] for s in STATES])[population.state]
    # Marker diameter ~80 % of the spacing of neighbouring clinicians in a disc (√π units).
    span = max(np.ptp(axes.get_xlim()), np.ptp(axes.get_ylim()), 1e-9)
    spacing = math.sqrt(math.pi) * min(axes.bbox.width, axes.bbox.height) / span
    size = float(np.clip((0.8 * spacing * 72 / figure.dpi) ** 2, 2, 60))
    plain = ~population.champion
    axes.scatter(*layout.clinicians[plain].T, s=size, c=colours[plain], marker="o",
                 linewidths=0, zorder=2)
    champions = population.champion
    if champions.any():
        axes.scatter(*layout.clinicians[champions].T, s=size * 5, c=colours[champions],
                     marker="*", edgecolors="black", linewidths=0.6, zorder=4)
    present = {a.node: a for a in model.agents_by_type.get(HybridLeader, [])}
    if layout.hybrid_nodes:
        campaigning = np.array([node in present and present[node].campaigning
                                for node in layout.hybrid_nodes])
        gone = np.array([node not in present for node in layout.hybrid_nodes])
        idle = ~campaigning & ~gone
        for mask, style in ((campaigning, dict(c=HYBRID_COLOUR, edgecolors="white")),
                            (idle, dict(c="#d9d9d9", edgecolors=HYBRID_COLOUR)),
                            (gone, dict(c="white", edgecolors="#969696"))):
            if mask.any():
                axes.scatter(*layout.hybrids[mask].T, s=min(45, 4 * size), marker="D",
                             linewidths=0.8,
                             zorder=5, **style)
    if len(layout.managers):
        axes.scatter(*layout.managers.T, s=45, marker="s", c=MANAGER_COLOUR,
                     edgecolors="white", linewidths=0.6, zorder=5)
    for x, y, text, align in layout.labels:
        axes.text(x, y, text, ha=align, va="center", fontsize=9, color="#404040", zorder=6)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=7, color=STATE_COLOURS[s],
                      label=s) for s in STATES]
    handles += [Line2D([], [], marker="*", linestyle="", markersize=10, color="white",
                       markeredgecolor="black", label="champion"),
                Line2D([], [], marker="D", linestyle="", markersize=6, color=HYBRID_COLOUR,
                       label="hybrid leader"),
                Line2D([], [], marker="s", linestyle="", markersize=6, color=MANAGER_COLOUR,
                       label="manager")]
    figure.legend(handles=handles, loc="upper center", ncol=4, fontsize=9, frameon=False,
                  handletextpad=0.2, columnspacing=1.0)
    return figure


def curves_figure(model: CampaignModel) -> Figure:
    """Share of clinicians in each state by week, and cumulative enrolments by channel: the
    hazard-share credit (solid) and the enrolments that needed the channel (dashed)."""
    records = model.records
    weeks = np.arange(records.last_week + 1)
    counts = records.state_counts[: records.last_week + 1]
    total = max(int(counts[0].sum()), 1)
    figure = Figure(figsize=(5.0, 5.8), dpi=90)
    by_state, by_channel = figure.subplots(2, 1)
    figure.subplots_adjust(left=0.15, right=0.97, top=0.95, bottom=0.09, hspace=0.3)
    for code, state in enumerate(STATES):
        by_state.plot(weeks, counts[:, code] / total, color=STATE_COLOURS[state], linewidth=2,
                      label=state)
    by_state.plot(weeks, (counts[:, STATES.index("enrolled")] + counts[:, STATES.index("active")])
                  / total, color="black", linestyle="--", linewidth=1.3, label="enrolled + active")
    by_state.set(xlim=(0, model.spec.weeks), ylim=(0, 1), ylabel="share of clinicians",
                 title="Adoption by state")
    by_state.legend(fontsize=7.5, loc="best", framealpha=0.85)
    channels = records.channel_counts[: records.last_week + 1]
    needed = records.needed_counts[: records.last_week + 1]
    for code, channel in enumerate(CHANNELS):
        if channels[:, code].any():
            by_channel.plot(weeks, channels[:, code], color=CHANNEL_COLOURS[channel],
                            linewidth=2, label=channel)
        if needed[:, code].any():
            by_channel.plot(weeks, needed[:, code], color=CHANNEL_COLOURS[channel],
                            linewidth=1.3, linestyle="--")
    by_channel.set(xlim=(0, model.spec.weeks), ylim=(0, max(10, channels.max() * 1.1)),
                   xlabel="week", ylabel="enrolments so far",
                   title="Enrolments by channel")
    if channels.any():  # the two kinds of credit, as legend entries
        by_channel.plot([], [], color="grey", linewidth=2, label="share of the hazard")
        by_channel.plot([], [], color="grey", linewidth=1.3, linestyle="--",
                        label="needed the channel")
    if channels.any():
        by_channel.legend(fontsize=7.5, loc="best", framealpha=0.85)
    for axes in (by_state, by_channel):
        axes.grid(alpha=0.3)
    return figure


def network_png(model: CampaignModel) -> bytes:
    return _png(network_figure(model))


def curves_png(model: CampaignModel) -> bytes:
    return _png(curves_figure(model))


def lever_summary(model: CampaignModel) -> str:
    """The levers of the running model in one line (the sliders show what Reset will build;
    this line, what is running)."""
    spec = model.spec
    d = lever_defaults(spec)
    peer = spec.on("peer")
    threshold = (f"threshold {d['threshold_mean']:.2f} ± {d['threshold_spread']:.2f}"
                 if peer is not None and peer.rule == "threshold"
                 else f"peer rule {peer.rule} (threshold sliders do not apply)" if peer
                 else "no peer influence")
    champions = (f"{d['champions']} champions by {d['champion_rule']}" if d["champions"]
                 else "no champions")
    return (f"seed {model.seed} · hybrid alignment {d['hybrid_alignment']:.2f}, capacity "
            f"{d['hybrid_capacity']} · broadcast {d['broadcast_intensity']:.3f} · co-design "
            f"{d['codesign_share']:.2f} · {champions} · {threshold}")


def headline_html(model: CampaignModel) -> str:
    """The week counter and the headline outcomes (HTML: Solara's Markdown would ask for
    KaTeX, which the offline asset bundle lacks)."""
    s = summarise(model)

    def share(value):
        return "—" if value is None else f"{value:.1%}"

    def number(value, digits=2):
        return "—" if value is None else f"{value:.{digits}f}"

    cells = [
        ("enrolled (incl. active)", share(s["final_enrolled_share"])),
        ("active", share(s["active_share"])),
        ("gap", share(s["enrolment_engagement_gap"])),
        ("disengaged", share(s["disengaged_share"])),
        ("aware (ever)", share(s["aware_share"])),
        ("50 % enrolled", "not yet" if s["weeks_to_50"] is None else f"week {s['weeks_to_50']}"),
        ("ownership at enrolment", number(s["mean_ownership_at_enrolment"])),
        ("ownership now", number(s["mean_ownership_of_enrolled_now"])),
        ("fidelity at enrolment", number(s["mean_fidelity_at_enrolment"])),
        ("fidelity now", number(s["mean_fidelity_of_enrolled_now"])),
        ("ideas", f"{s['ideas']:.1f}"),
        ("hybrids (credibility)",
         f"{s['hybrids_present']} ({number(s['mean_hybrid_credibility'])})"),
    ]
    channels = " · ".join(f"{c} {v}" for c, v in s["hazard_share_enrolments"].items() if v)
    needed = " · ".join(f"{c} {v}" for c, v in s["enrolments_needing_channel"].items() if v)
    done = " — campaign over" if not model.running else ""
    head = "".join(f"<th>{html.escape(k)}</th>" for k, _ in cells)
    body = "".join(f"<td>{html.escape(v)}</td>" for _, v in cells)
    return (
        f'<div class="campaignsim-week" style="font-size:1.5em;font-weight:500">'
        f"Week {s['weeks']} of {model.spec.weeks}{done}</div>"
        f'<div style="margin:2px 0 6px 0"><b>{html.escape(model.spec.name)}</b> · '
        f"{s['clinicians']:,} clinicians · {html.escape(lever_summary(model))}</div>"
        f'<table class="campaignsim-outcomes" style="border-collapse:collapse;font-size:0.9em">'
        f'<tr style="color:#555;text-align:left">{head}</tr>'
        f'<tr style="font-weight:600">{body}</tr></table>'
        f'<div style="margin-top:6px;font-size:0.9em">Enrolments by channel so far, credited '
        f"by share of the enrolment hazard: {html.escape(channels or 'none')}; enrolments that "
        f"needed the channel (would not have happened without it): "
        f"{html.escape(needed or 'none')}</div>"
        "<style>.campaignsim-outcomes th, .campaignsim-outcomes td "
        "{padding: 1px 10px 1px 0; white-space: nowrap}</style>"
    )


# --- the page --------------------------------------------------------------------------


@solara.component
def NetworkView(model: CampaignModel):
    update_counter.get()
    png = solara.use_memo(lambda: network_png(model), [id(model), model.steps])
    solara.Image(png, width="100%", classes=["campaignsim-network"])


@solara.component
def CurvesView(model: CampaignModel):
    update_counter.get()
    png = solara.use_memo(lambda: curves_png(model), [id(model), model.steps])
    solara.Image(png, width="100%", classes=["campaignsim-curves"])


@solara.component
def Headline(model: CampaignModel):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=headline_html(model),
                classes=["campaignsim-headline"])


@solara.component
def Dashboard(model: CampaignModel, question: str | None = None):
    with solara.Column(style={"padding": "8px"}):
        if question:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(question),
                        classes=["campaignsim-question"],
                        style={"font-size": "1.25em", "font-style": "italic"})
        with solara.Card(style={"padding": "6px 14px"}):
            Headline(model)
        with solara.Columns([11, 9]):
            with solara.Card(style={"padding": "4px"}):
                NetworkView(model)
            with solara.Card(style={"padding": "4px"}):
                CurvesView(model)


@solara.component
def LeverControls(spec: Scenario, parameters: solara.Reactive[dict]):
    """The seed (a number field), a slider per lever captioned with its value and unit,
    and the champion rule; they set what the next Reset builds."""
    def set_value(key: str):
        return lambda value: parameters.set({**parameters.value, key: value})

    values = parameters.value
    solara.InputInt("Seed", value=int(values["seed"]), on_value=set_value("seed"),
                    classes=["campaignsim-seed"])
    for key, lever in lever_ranges(spec).items():
        slider = solara.SliderInt if lever.whole else solara.SliderFloat
        solara.Text(lever.text(values[key]), classes=["campaignsim-lever"])
        slider("", value=values[key], min=lever.low, max=lever.high, step=lever.step,
               on_value=set_value(key))
    solara.Select("Champions chosen by", values=list(champion_rules(spec)),
                  value=values["champion_rule"], on_value=set_value("champion_rule"))
    solara.HTML(tag="div", unsafe_innerHTML="Moved levers take effect when you press "
                "<b>Reset</b>.")


@solara.component
def ScenarioView(name: str, question: str | None = None):
    """The run controls, the levers and the dashboard for one chosen scenario. Mesa's
    ModelController gives Reset, play/pause and Step; the page sets its speed (weeks per
    second) and hides Mesa's play and render intervals and its threads switch."""
    spec = solara.use_memo(lambda: load_named(name), [name])
    initial = solara.use_memo(lambda: TeachingModel(scenario_name=name), [name])
    model = solara.use_reactive(initial)
    parameters = solara.use_reactive(model_params(spec, name))
    speed = solara.use_reactive(SPEED_DEFAULT)
    interval = solara.use_reactive(1000 // SPEED_DEFAULT)
    render_every, threads = solara.use_reactive(1), solara.use_reactive(False)

    def set_speed(value: int) -> None:
        speed.set(value)
        interval.set(1000 // value)

    with solara.AppBar():
        solara.AppBarTitle("campaignsim: a hospital improvement campaign")
    with solara.Sidebar():
        with solara.Card("Run"):
            ModelController(model, model_parameters=parameters, play_interval=interval,
                            render_interval=render_every, use_threads=threads)
            solara.Text(f"Speed: {speed.value} weeks per second", classes=["campaignsim-speed"])
            solara.SliderInt("", value=speed.value, min=SPEED_MIN, max=SPEED_MAX,
                             on_value=set_speed)
        with solara.Card("Levers"):
            LeverControls(spec, parameters)
    Dashboard(model.value, question)


@solara.component
def Page():
    catalogue = solara.use_memo(_environment_catalogue, [])
    names = list(catalogue)
    choice = solara.use_reactive(names[0] if names else "")
    error = None
    spec = None
    try:
        spec = load_named(choice.value, catalogue)
    except ScenarioError as err:
        error = str(err)
    with solara.Sidebar():
        with solara.Card("Scenario"):
            solara.Select("Scenario", values=names, value=choice)
            if spec is not None:
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f"<i>{html.escape(spec.description or spec.name)}</i><br>"
                    "Choosing a scenario rebuilds the model and sets the sliders to its "
                    "values; after moving a slider press <b>Reset</b>."))
    if error:
        solara.Error(error)
    elif spec is not None:
        ScenarioView(choice.value, question_of(catalogue[choice.value])).key(choice.value)
    else:
        solara.Error("no scenario files found")


page = Page
