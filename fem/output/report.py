"""report.html: one self-contained page on a run (``assb-fem report OUTDIR``).

The case (from case.resolved.toml: cell layers, holder, mesh, protocol), the versions and key
numbers (from summary.json), the standard history figures (fem.output.plots) and any ParaView
renderings in ``OUTDIR/paraview/*.png``, all images embedded as base64 PNG, so the one file
can be mailed or archived alone. Pure Python + matplotlib (no dolfinx); rank 0 only.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import tomllib
from pathlib import Path

from fem.errors import AssbError, OutputError

#: The tag that marks an HTML file as a report of ours (so -o replaces only those).
GENERATOR = '<meta name="generator" content="assb-fem report">'

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; }
.desc { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
.status-completed { color: #1b5e20; } .status-failed { color: #b71c1c; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.small { color: #777; font-size: 0.85em; }
"""


def _e(x) -> str:
    return html.escape(str(x))


def _num(v) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return _e(v)
    if isinstance(v, int):
        return str(v)
    return f"{v:.6g}"


def _table(rows, header=None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            if i == 0 and header is None:
                cells.append(f"<th>{_e(c)}</th>")
            elif isinstance(c, int | float) and not isinstance(c, bool):
                cells.append(f'<td class="num">{_num(c)}</td>')
            else:
                cells.append(f"<td>{_e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _scaled(value, factor, unit) -> str:
    return f"{value * factor:.4g} {unit}" if isinstance(value, int | float) else str(value)


def _case_section(case: dict) -> str:
    parts = []
    layers = case.get("layers") or case.get("cell", {}).get("layers") or []
    if layers:
        rows = [[lay.get("name", ""), lay.get("role", ""), lay.get("material", ""),
                 _scaled(lay.get("thickness", ""), 1e6, "µm"),
                 _scaled(lay.get("radius", ""), 1e3, "mm")] for lay in layers]
        parts.append("<h3>Cell (bottom to top)</h3>")
        parts.append(_table(rows, ["layer", "role", "material", "thickness", "radius"]))
    rows = []
    cell = case.get("cell", {})
    if "kind" in cell:
        rows.append(("cell kind", cell["kind"]))
    holder = case.get("holder", {})
    if holder:
        rows.append(("holder", holder.get("type", "")))
        if "pressure" in holder:
            rows.append(("holder pressure", _scaled(holder["pressure"], 1e-6, "MPa")))
        if holder.get("frame_stiffness"):
            rows.append(("frame stiffness", _scaled(holder["frame_stiffness"], 1.0, "N/m")))
    if "platen_contact" in case:
        rows.append(("platen contact", case["platen_contact"]))
    if "temperature" in case:
        t = case["temperature"]
        rows.append(("temperature", f"{t:.5g} K ({t - 273.15:.4g} °C)"
                     if isinstance(t, int | float) else str(t)))
    mesh = case.get("mesh", {})
    if mesh:
        rows.append(("mesh", ", ".join(
            f"{k} = {_scaled(v, 1e6, 'µm') if k.startswith('size') else v}"
            for k, v in mesh.items() if not isinstance(v, dict))))
    if rows:
        parts.append("<h3>Set-up</h3>")
        parts.append(_table(rows))
    protocol = case.get("protocol") or []
    if isinstance(protocol, list) and protocol:
        rows = [[p.get("index", i), p.get("cycle", ""), p.get("text", p.get("type", "")),
                 _duration(p.get("duration"))] for i, p in enumerate(protocol)]
        parts.append("<h3>Protocol</h3>")
        parts.append(_table(rows, ["#", "cycle", "step", "duration"]))
    return "\n".join(parts)


def _duration(s) -> str:
    if not isinstance(s, int | float):
        return ""
    if s == 0:
        return "–"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        return f"{s / 60:.3g} min"
    return f"{s / 3600:.4g} h"


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _figures(outdir: Path, title: str) -> list[tuple[str, str]]:
    """(caption, <img>) of the standard history figures, rendered in memory."""
    import matplotlib.pyplot as plt

    from fem.output.plots import read_run_history, standard_figures

    try:
        hist = read_run_history(outdir)
    except OutputError:
        return []
    out = []
    for name, caption, fig in standard_figures(hist, title):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        out.append((caption, _img(buf.getvalue(), name)))
    return out


def build_report(outdir: str | Path) -> str:
    """The HTML text of the report on a run folder."""
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise OutputError(f"{outdir} is not a folder")
    summary = _read_json(outdir / "summary.json")
    case = _read_toml(outdir / "case.resolved.toml")
    if not summary and not case and not (outdir / "history.csv").is_file():
        raise OutputError(f"{outdir} holds no run output (summary.json, case.resolved.toml, "
                          "history.csv)")
    name = summary.get("case") or case.get("name") or outdir.name
    description = summary.get("description") or case.get("description") or ""
    failed = (outdir / "FAILED").is_file()
    status = "failed" if failed else summary.get("status", "unknown")

    body = [f"<h1>{_e(name)}</h1>"]
    if description:
        body.append(f'<p class="desc">{_e(description)}</p>')
    body.append(f'<p>Status: <b class="status-{_e(status)}">{_e(status)}</b>'
                f' &nbsp; <span class="small">{_e(outdir.resolve())}</span></p>')
    if failed:
        msg = (outdir / "FAILED").read_text(errors="replace")
        body.append(f"<pre>{_e(msg)}</pre>")

    if summary:
        from fem.output.key_numbers import key_numbers

        body.append("<h2>Key numbers</h2>")
        body.append(_table(key_numbers(summary)))

    figures = _figures(outdir, str(name))
    if figures:
        body.append("<h2>History</h2>")
        for caption, img in figures:
            body.append(f"<figure>{img}<figcaption>{_e(caption)}</figcaption></figure>")

    renders = sorted((outdir / "paraview").glob("*.png")) if (outdir / "paraview").is_dir() else []
    if renders:
        body.append("<h2>Fields (ParaView)</h2>")
        for p in renders:
            body.append(f"<figure>{_img(p.read_bytes(), p.stem)}"
                        f"<figcaption>{_e(p.name)}</figcaption></figure>")

    if case:
        body.append("<h2>Case</h2>")
        body.append(_case_section(case))
        if case.get("source"):
            body.append(f'<p class="small">source: {_e(case["source"])}'
                        + (f", sha256 {_e(case['sha256'])}" if case.get("sha256") else "")
                        + "</p>")
        text = (outdir / "case.resolved.toml").read_text(errors="replace")
        body.append("<details><summary>case.resolved.toml (every value in SI)</summary>"
                    f"<pre>{_e(text)}</pre></details>")

    versions = summary.get("versions", {})
    if versions:
        body.append("<h2>Versions</h2>")
        body.append(_table(list(versions.items())))

    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    body.append(f'<p class="small">Written by assb-fem report on {_e(stamp)}.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"{GENERATOR}\n<title>{_e(name)}: assb-fem report</title>\n<style>{_CSS}</style>\n"
            "</head>\n"
            "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def write_report(outdir: str | Path, path: str | Path | None = None) -> Path:
    """Write the report on a run folder (default ``OUTDIR/report.html``); returns its path. An
    existing file is only replaced when it is a report of ours."""
    from fem.output.directory import require_run_folder

    outdir = Path(outdir)
    require_run_folder(outdir)
    text = build_report(outdir)
    path = Path(path) if path is not None else outdir / "report.html"
    if path.is_dir() or (path.exists() and not _is_our_report(path)):
        raise OutputError(f"{path} exists and is not an assb-fem report; assb-fem never "
                          "replaces it: choose another -o")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from exc
    return path


def _is_our_report(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return GENERATOR.encode() in head


def on_rank0(comm, fn, *args, **kwargs):
    """Call ``fn`` on rank 0 only (collective): every rank returns its result, or raises when it
    failed (rank 0 the original error, the others an AssbError that prints nothing)."""
    result, err, exc = None, None, None
    if comm.rank == 0:
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # re-raised below, on every rank
            exc = e
            err = (getattr(e, "exit_code", 1), str(e))
    err = comm.bcast(err, root=0)
    if exc is not None:
        raise exc
    if err is not None:
        e = AssbError(err[1])
        e.exit_code = err[0]
        raise e
    return comm.bcast(result, root=0)
