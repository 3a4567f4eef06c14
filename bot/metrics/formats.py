"""The computed figures as text: Markdown for people, CSV (one row per value) and JSON for other tools. Only
formatting: the numbers are those of `ServiceMetrics.compute`."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Dict, List

FORMATS = ("md", "csv", "json")
TITLES = {"volume": "Volume", "containment": "Containment", "knowledge_base": "Knowledge base", "handoff": "Handoff",
          "satisfaction": "Satisfaction", "complaints": "Complaints", "mood": "Mood",
          "servqual": "Service quality (SERVQUAL)"}


def shown(value: Any, unit: str) -> str:
    """A value as a person reads it: shares in per cent, seconds in s, min or h, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        if value < 120:
            return f"{value:g} s"
        return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _label(report: Dict[str, Any], column: str, value: Any) -> Any:
    kinds = {"channel": "channel", "language": "language", "reason": "reason", "status": "handoff_status",
             "category": "category", "severity": "severity", "outcome": "mood_outcome", "dimension": "dimension",
             "message": "message"}
    if column in kinds and isinstance(value, str):
        return report["labels"].get(f"{kinds[column]}:{value}", {}).get("en", value)
    if column == "figure" and isinstance(value, str) and value in report["definitions"]:
        return report["definitions"][value]["name"]["en"]
    return value


def markdown(report: Dict[str, Any]) -> str:
    definitions = report["definitions"]
    period, filters = report["period"], report["filters"]
    scope = ", ".join(f"{k} {v}" for k, v in filters.items() if v) or "all channels and languages"
    lines = [f"# Service metrics, {period['from']} to {period['to']} ({period['timezone']})", "",
             f"{scope}; computed {report['generated_at']}. Definitions: bot/metrics/ and the legend of /console/metrics.",
             ""]
    for section in report["sections"]:
        lines += [f"## {TITLES.get(section['key'], section['key'])}", ""]
        for item in section["figures"]:
            definition = definitions[item["key"]]
            lines.append(f"- **{definition['name']['en']}**: {shown(item['value'], definition['unit'])}")
        lines.append("")
        for tab in section["tables"]:
            definition = definitions[tab["key"]]
            lines += [f"### {definition['name']['en']}", "", f"_{definition['means']['en']}_", ""]
            if not tab["rows"]:
                lines += ["(none)", ""]
                continue
            units = {c["key"]: c["unit"] for c in definition["columns"]}
            names = [c["name"]["en"] for c in definition["columns"]]
            lines += ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
            for row in tab["rows"]:
                unit_of_row = row[-1] if tab["key"] == "servqual" else None
                cells = [shown(_label(report, column, value), unit_of_row if column == "value" and unit_of_row
                               else units[column]) for column, value in zip(tab["columns"], row)]
                lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
            lines.append("")
    return "\n".join(lines)


def csv_text(report: Dict[str, Any]) -> str:
    """section, table, row, column, value: every figure (table "figures") and every table cell, raw."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "table", "row", "column", "value"])
    for section in report["sections"]:
        for item in section["figures"]:
            writer.writerow([section["key"], "figures", item["key"], "value", _raw(item["value"])])
        for tab in section["tables"]:
            for row in tab["rows"]:
                for column, value in zip(tab["columns"][1:], row[1:]):
                    writer.writerow([section["key"], tab["key"], row[0], column, _raw(value)])
    return out.getvalue()


def _raw(value: Any) -> str:
    """A value as it is; a text a spreadsheet would take for a formula (a customer's question "=…") is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return str(value)


def render(report: Dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return csv_text(report)
    return markdown(report)


__all__: List[str] = ["FORMATS", "render", "markdown", "csv_text", "shown"]
