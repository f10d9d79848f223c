"""`bayes-alliance measure`: statements of the patron -> ally-year reassurance counts."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, is_terminal
from bayes_alliance.io import check_output_file

#: corpora at least this large (bytes) get a progress bar when stderr is a terminal
PROGRESS_MIN_BYTES = 5_000_000


@handle_errors
def measure(
    corpus: Path = typer.Option(..., "--corpus", help="Corpus: .jsonl or .csv with 'date' and "
                                "'text', a .txt file, or a folder of .txt files."),
    out: Path = typer.Option(..., "--out", help="Counts CSV to write (ally, ccode, year, "
                             "reassure, exposure); metadata goes to <out>.meta.json."),
    allies: str = typer.Option("default", "--allies", help="'default' (US treaty allies) or "
                               "a CSV/TOML file of COW codes."),
    lexicon: Path | None = typer.Option(None, "--lexicon", help="Lexicon TOML file (default: "
                                        "the shipped data/lexicons/reassurance.toml)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    force: bool = typer.Option(False, "--force", help="Replace the output files (never an "
                                                      "input file)."),
) -> None:
    """Count, per ally and year, the sentences that name the ally and those that reassure it."""
    from bayes_alliance.measure import measure_corpus, meta_path, read_corpus, write_result
    from bayes_alliance.measure.allies import load_allies
    from bayes_alliance.measure.lexicon import load_lexicon

    for target in (out, meta_path(out)):
        check_output_file(target, force=force,
                          inputs=[corpus, lexicon, allies if allies != "default" else None])
    ally_set = load_allies(allies)
    lex = load_lexicon(lexicon)
    docs = read_corpus(corpus)
    if is_terminal() and docs.n_bytes >= PROGRESS_MIN_BYTES:
        with typer.progressbar(length=len(docs), label="measuring", file=sys.stderr) as bar:
            done = [0]

            def advance(n: int, _total: int) -> None:
                bar.update(n - done[0])
                done[0] = n

            result = measure_corpus(docs, allies=ally_set, lexicon=lex, progress=advance)
    else:
        result = measure_corpus(docs, allies=ally_set, lexicon=lex)
    written = write_result(result, out, force=force)
    summary = {**result.meta, "out": str(written[0]), "meta": str(written[1])}
    if as_json:
        echo_json(summary)
        return
    meta = result.meta
    typer.echo(f"{written[0]}: {meta['n_rows']} ally-years, {meta['n_allies_mentioned']} allies "
               f"named, {meta['total_reassure']} reassuring of {meta['total_exposure']} "
               f"sentences naming an ally")
    typer.echo(f"  corpus {meta['corpus']}: {meta['n_documents']} documents, "
               f"{meta['n_sentences']} sentences, {meta['first_year']}-{meta['last_year']}, "
               f"sha256 {meta['corpus_sha256'][:12]}")
    typer.echo(f"  lexicon {meta['lexicon']} {meta['lexicon_version']}; metadata in "
               f"{written[1]}")
