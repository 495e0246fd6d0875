"""Command line: `python -m pipeline STAGE [args]`; each stage module exposes `main(argv) -> int`."""

from __future__ import annotations

import importlib
import sys

# stage name -> module; modules are imported only when their stage runs (heavy imports stay lazy).
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("pipeline.ingest.ingest_cli", "read every corpus in params.yaml into documents/utterances"),
    "scrape": ("pipeline.acquire.scrape_cli", "fetch the URLs of corpus entries into data/raw/<corpus>/"),
    "inspect": ("pipeline.ingest.inspect_cli", "print what one file or URL parses to, as JSON"),
    "clean": ("pipeline.prepare.clean_cli", "normalise text, move out boilerplate, record removals"),
    "attribute": ("pipeline.prepare.attribute_cli", "attribute speakers and build the participants table"),
    "segment": ("pipeline.prepare.segment_cli", "split utterances into argument units and tag concepts"),
    "embed": ("pipeline.embed.embed_cli", "embed units with a cached sentence-transformer"),
    "cluster": ("pipeline.topics.cluster_cli", "consensus topics over the unit embeddings (runs, stability, confidence)"),
    "frame": ("pipeline.frames.frame_cli", "assign codebook framings to units and utterances"),
    "code": ("pipeline.coding.code_cli", "coding sheets: sample the units worth coding, export, import"),
    "positions": ("pipeline.positions.positions_cli", "roles, relations, participant positions, reply network"),
    "conservation": ("pipeline.checks.conservation_cli", "check every source item ends as an utterance, problem or removal"),
    "report": ("pipeline.report.report_cli", "write the HTML report and metrics"),
    "evaluate": ("pipeline.evaluation.evaluate_cli", "evaluation commands (extraction, talk, relevance, frame-splits, coding-curve, topic-invariance, argkp)"),
    "export": ("pipeline.export.export_cli", "export the corpus to other toolkits (convokit)"),
    "params": ("pipeline.common.params_cli", "list every parameter with its value and meaning (--markdown: docs/params.md)"),
}


def usage() -> str:
    """The help text listing every command."""
    lines = ["usage: python -m pipeline COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<11} {doc}" for name, (_, doc) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the stage module named by the first argument."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(usage() + "\n")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"unknown command {name!r}\n{usage()}\n")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
