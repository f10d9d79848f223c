"""`bayes-alliance measure`: statements of the patron -> ally-year reassurance counts."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, is_terminal
from bayes_alliance.io import check_output_file

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.

#: corpora at least this large (bytes) get a progress bar when stderr is a terminal
PROGRESS_MIN_BYTES = 5_000_000


@handle_errors
def measure(
    corpus: Path = typer.Option(..., "--corpus", help="Corpus: .jsonl or .csv with 'date' and "
                                "'text', a .txt file, or a folder of .txt files."),
    out: Path = typer.Option(..., "--out", help="Counts CSV to write (ally, ccode, year, "
                             "reassure, reassure_conditional, pressure, exposure); metadata "
                             "goes to <out>.meta.json."),
    allies: str = typer.Option("default", "--allies", help="'default' (US treaty allies) or "
                               "a CSV/TOML file of COW codes."),
    lexicon: Path | None = typer.Option(None, "--lexicon", help="Lexicon TOML file (default: "
                                        "the shipped data/lexicons/reassurance.toml)."),
    sentences: Path | None = typer.Option(
        None, "--sentences", help="Also write every sentence that names an ally, one row per "
        "ally: doc_id, date, speaker, sentence_index, ally, class, cue, text."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    force: bool = typer.Option(False, "--force", help="Replace the output files (never an "
                                                      "input file)."),
) -> None:
    """Count, per ally and year, the sentences that name the ally and those of each class.

    Only the sitting president's own words are read; repeats are counted once.
    """
    from bayes_alliance.measure import measure_corpus, meta_path, read_corpus, write_result
    from bayes_alliance.measure.aggregate import SentenceLog
    from bayes_alliance.measure.allies import load_allies
    from bayes_alliance.measure.lexicon import load_lexicon
    from bayes_alliance.progress import progress_bar

    for target in (out, meta_path(out), sentences):
        if target is not None:
            check_output_file(target, force=force,
                              inputs=[corpus, lexicon, allies if allies != "default" else None])
    ally_set = load_allies(allies)
    lex = load_lexicon(lexicon)
    docs = read_corpus(corpus)
    log = SentenceLog() if sentences is not None else None
    if is_terminal() and docs.n_bytes >= PROGRESS_MIN_BYTES:
        with progress_bar(len(docs), "measuring", terminal=True) as report:
            result = measure_corpus(docs, allies=ally_set, lexicon=lex,
                                    progress=lambda done, _total: report(done, "documents"),
                                    sink=log)
    else:
        result = measure_corpus(docs, allies=ally_set, lexicon=lex, sink=log)
    written = write_result(result, out, force=force)
    summary = {**result.meta, "out": str(written[0]), "meta": str(written[1])}
    if log is not None and sentences is not None:
        summary["sentences"] = str(log.write(sentences, force=force))
    if as_json:
        echo_json(summary)
        return
    meta = result.meta
    typer.echo(f"{written[0]}: {meta['n_rows']} ally-years, {meta['n_allies_mentioned']} allies "
               f"named; of {meta['total_exposure']} sentences naming an ally, "
               f"{meta['total_reassure']} reassure unconditionally, "
               f"{meta['total_reassure_conditional']} conditionally, {meta['total_pressure']} "
               f"press ({meta['n_repeats']} repeats left out)")
    typer.echo(f"  corpus {meta['corpus']}: {meta['n_documents']} documents, "
               f"{meta['n_sentences']} sentences, {meta['first_year']}-{meta['last_year']}, "
               f"sha256 {meta['corpus_sha256'][:12]}")
    typer.echo(f"  lexicon {meta['lexicon']} {meta['lexicon_version']}; metadata in "
               f"{written[1]}")
    if "sentences" in summary:
        typer.echo(f"  classified sentences in {summary['sentences']}")
