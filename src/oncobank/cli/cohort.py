"""`oncobank cohort`: parse sentences, save definitions, run them on the analysis store (cached), attrition, members.

They read only the de-identified analysis store. Whoever runs, counts or exports a cohort must be a user whose role
may read it (READ_ANALYSIS: researcher, data manager, administrator; not a clinician): the registry's accounts, in
the clinical store named by --db or ONCOBANK_DB (else the data home's), say so. Parsing a sentence and saving,
showing or listing definitions touch no data and need no account.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from oncobank.cli.common import DbOption, JsonOption, LangOption, UserOption, console, emit_json, fail

app = typer.Typer(help="Cohort search on the analysis store: criteria trees, sentences, attrition, members.",
                  no_args_is_help=True)

AnalysisOption = Annotated[str | None, typer.Option(
    "--analysis", "--to", help="Analysis store URL: a .duckdb file, postgresql://… or spark:PATH (default: "
                               "ONCOBANK_ANALYSIS, else analysis.duckdb in the data home).", show_default=False)]
ModuleOption = Annotated[str, typer.Option("--module", help="Disease module whose dictionary a sentence uses.")]
VersionOption = Annotated[int | None, typer.Option("--version", help="Version of the saved cohort (default: latest).",
                                                   show_default=False)]
NameArgument = Annotated[str, typer.Argument(help="Name of the saved cohort.")]

WORDS: dict[str, tuple[str, str]] = {
    "tree": ("Tree", "Дерево"),
    "reads": ("Reads as", "Читается как"),
    "unplaced": ("Words not placed (not guessed)", "Слова, которые не удалось разместить (не угадываются)"),
    "saved": ("Saved {name} version {version}", "Сохранена когорта {name}, версия {version}"),
    "same": ("{name} version {version} is already this definition", "{name}, версия {version}: то же определение"),
    "count": ("Persons in the cohort", "Пациентов в когорте"),
    "initial": ("With an index event", "С индексным событием"),
    "rule": ("Rule", "Правило"),
    "remaining": ("Remaining", "Осталось"),
    "failing": ("Failing this rule alone", "Не прошли это правило"),
    "cached": ("from the cache", "из кэша"),
    "seconds": ("seconds", "секунд"),
    "name": ("Name", "Название"),
    "versions": ("Versions", "Версии"),
    "score": ("Exact trees: {exact} of {total} ({share:.1%})", "Точные деревья: {exact} из {total} ({share:.1%})"),
    "written": ("Wrote {rows} members to {path}", "Записано участников: {rows}, файл {path}"),
}


def word(key: str, lang: str) -> str:
    en, ru = WORDS[key]
    return ru if lang == "ru" else en


def _guarded(step: Any) -> Any:
    from oncobank.cohort.fields import CohortError
    from oncobank.engine.errors import EngineError

    try:
        return step()
    except (CohortError, EngineError) as exc:
        raise fail(str(exc)) from None


@app.command("parse")
def parse_command(
    sentence: Annotated[str | None, typer.Argument(help="A sentence in Russian or English.")] = None,
    module: ModuleOption = "thyroid",
    check: Annotated[Path | None, typer.Option("--check", help="Score a file of sentence -> tree pairs instead.",
                                               show_default=False)] = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Read a sentence into a criteria tree, shown back as a tree and as one normalised sentence to confirm."""
    from oncobank.cohort.checkset import score
    from oncobank.cohort.describe import sentence as spoken
    from oncobank.cohort.describe import tree_lines
    from oncobank.cohort.sentence import parse
    from oncobank.dictionary import DictionaryError, load_module

    try:
        dictionary = load_module(module)
    except (DictionaryError, KeyError, FileNotFoundError):
        raise fail(f"--module {module}: no such disease module") from None
    if check is not None:
        result = _guarded(lambda: score(check, dictionary))
        if as_json:
            emit_json(result.to_dict())
            return
        console.print(word("score", lang).format(exact=result.exact, total=result.total, share=result.share))
        for miss in result.misses:
            console.print(f"  {miss['pair']}: {miss['sentence']}", highlight=False)
        return
    if not sentence:
        raise fail("give a sentence, or --check FILE")
    parsed = parse(sentence, dictionary)
    if as_json:
        emit_json({"tree": parsed.tree.model_dump(mode="json", exclude_defaults=True) if parsed.tree else None,
                   "sentence": spoken(parsed.tree, dictionary, lang) if parsed.tree else None,
                   "unplaced": parsed.unplaced})
        return
    if parsed.tree is not None:
        console.print(f"[bold]{word('tree', lang)}[/bold]")
        for line in tree_lines(parsed.tree, dictionary, lang):
            console.print("  " + line, highlight=False)
        console.print(f"[bold]{word('reads', lang)}:[/bold] {spoken(parsed.tree, dictionary, lang)}", highlight=False)
    if parsed.unplaced:
        console.print(f"[yellow]{word('unplaced', lang)}:[/yellow] {', '.join(parsed.unplaced)}", highlight=False)


@app.command("create")
def create_command(
    name: NameArgument,
    sentence: Annotated[str | None, typer.Option("--sentence", help="The cohort as a sentence.",
                                                 show_default=False)] = None,
    source: Annotated[Path | None, typer.Option("--from", help="The cohort as a JSON definition file.",
                                                show_default=False)] = None,
    module: ModuleOption = "thyroid",
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Save a cohort definition (a new version only when it changed)."""
    from oncobank.cohort import saved
    from oncobank.cohort.sentence import parse
    from oncobank.dictionary import load_module

    if (sentence is None) == (source is None):
        raise fail("give exactly one of --sentence TEXT and --from FILE")
    if sentence is not None:
        parsed = parse(sentence, load_module(module))
        if parsed.unplaced:
            raise fail(f"--sentence: words not placed: {', '.join(parsed.unplaced)} (nothing saved)")
        definition = _guarded(lambda: saved.from_sentence(name, parsed, sentence, load_module(module)))
    else:
        assert source is not None
        definition = _guarded(lambda: saved.read_definition(source)).model_copy(update={"name": name})
    version, new = _guarded(lambda: saved.save(definition))
    if as_json:
        emit_json({"name": name, "version": version, "new": new, "definition": definition.model_dump(mode="json")})
        return
    console.print(word("saved" if new else "same", lang).format(name=name, version=version))


@app.command("show")
def show_command(name: NameArgument, version: VersionOption = None, as_json: JsonOption = False) -> None:
    """Print a saved definition as JSON."""
    from oncobank.cohort import saved

    definition = _guarded(lambda: saved.load(name, version))
    if as_json:
        emit_json(definition.model_dump(mode="json"))
    else:
        console.print_json(definition.model_dump_json())


@app.command("list")
def list_command(as_json: JsonOption = False, lang: LangOption = "en") -> None:
    """The saved cohorts and their versions."""
    from oncobank.cohort import saved

    rows = [{"name": n, "versions": _guarded(lambda n=n: saved.versions(n))} for n in saved.names()]
    if as_json:
        emit_json(rows)
        return
    table = Table(word("name", lang), word("versions", lang))
    for row in rows:
        table.add_row(row["name"], ", ".join(map(str, row["versions"])))
    console.print(table)


def may_read_analysis(db: str | None, user: str | None) -> None:
    """Stop unless the acting user may read the analysis store (READ_ANALYSIS in the registry's accounts).

    The accounts are the clinical store's (the registry the analysis store is published from); a missing SQLite store
    is not created here, since whoever creates one becomes its administrator.
    """
    from oncobank.cli.common import open_store
    from oncobank.store.access import Permission
    from oncobank.store.db import default_url, safe_url, sqlite_file

    url = db or default_url()
    file = sqlite_file(url)
    if file is not None and not file.is_file():
        raise fail(f"no registry accounts at {safe_url(url)}: cohorts run only for a user whose role may read the "
                   "analysis store; give --db (or ONCOBANK_DB) of the registry it is published from")
    store = open_store(url, "core", need=Permission.READ_ANALYSIS, what="run cohorts on the analysis store", user=user)
    store.engine.dispose()


def _result(name: str, version: int | None, analysis: str | None, db: str | None,
            user: str | None) -> tuple[dict[str, Any], Any, bool, float]:
    """(summary, members, from cache, seconds) for a saved cohort on the analysis store, for a user who may read it.

    The summary holds exact counts (it is cached so); `small_cell` is the store's threshold, for what shows them."""
    from oncobank.cohort import run, saved
    from oncobank.cohort.run import store_dictionary
    from oncobank.deid.small_cells import store_threshold
    from oncobank.engine import connect

    started = time.perf_counter()
    may_read_analysis(db, user)
    definition = _guarded(lambda: saved.load(name, version))
    with _guarded(lambda: connect(analysis)) as store:
        threshold = _guarded(lambda: store_threshold(store))
        key = saved.cache_key(definition, store.target.describe(), store.snapshot, store_dictionary(store))
        hit = saved.cached(key)
        if hit is not None:
            return {**hit[0], "small_cell": threshold}, hit[1], True, time.perf_counter() - started
        result = _guarded(lambda: run(definition, store, evidence=False, people=False))
    summary = {"name": name, "count": result.count, "attrition": result.attrition.to_dict(),
               "snapshot": store.snapshot}
    saved.remember(key, summary, result.members)
    return {**summary, "small_cell": threshold}, result.members, False, time.perf_counter() - started


@app.command("run")
def run_command(name: NameArgument, version: VersionOption = None, analysis: AnalysisOption = None,
                db: DbOption = None, user: UserOption = None, as_json: JsonOption = False,
                lang: LangOption = "en") -> None:
    """Run a saved cohort: its count (cached per definition and analysis-store snapshot), a small one suppressed."""
    from oncobank.cohort.run import shown_attrition, shown_count
    from oncobank.deid.small_cells import SMALL, text

    summary, _, hit, seconds = _result(name, version, analysis, db, user)
    threshold = summary["small_cell"]
    count = shown_count(summary["count"], threshold)
    if as_json:
        emit_json({**summary, **count, "attrition": shown_attrition(summary["attrition"], threshold),
                   "cached": hit, "seconds": round(seconds, 4)})
        return
    note = f" ({word('cached', lang)})" if hit else ""
    shown = text(summary["count"], SMALL if count["suppressed"] else None, threshold, lang)
    console.print(f"{word('count', lang)}: {shown}{note}, {seconds:.3f} {word('seconds', lang)}")


@app.command("attrition")
def attrition_command(name: NameArgument, version: VersionOption = None, analysis: AnalysisOption = None,
                      db: DbOption = None, user: UserOption = None, as_json: JsonOption = False,
                      lang: LangOption = "en") -> None:
    """Persons remaining after each inclusion rule in order, and failing each rule alone; small counts suppressed."""
    from oncobank.cohort.run import shown_attrition
    from oncobank.deid.small_cells import label, text

    summary, _, _, _ = _result(name, version, analysis, db, user)
    threshold = summary["small_cell"]
    attrition = shown_attrition(summary["attrition"], threshold)
    if as_json:
        emit_json(attrition)
        return
    table = Table(word("rule", lang), word("remaining", lang), word("failing", lang),
                  caption=label("note", lang, threshold=threshold))
    gone = attrition.get("suppressed", {})
    table.add_row(word("initial", lang), text(attrition["initial"], gone.get("remaining"), threshold, lang), "")
    for row in attrition["rules"]:
        gone = row.get("suppressed", {})
        table.add_row(row["rule"], text(row["remaining"], gone.get("remaining"), threshold, lang),
                      text(row["failing_alone"], gone.get("failing_alone"), threshold, lang))
    console.print(table)


def _write_table(table: Any, out: Path) -> None:
    """CSV or Parquet by the suffix, written whole or not at all."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    partial = out.with_name(out.name + ".partial")
    if out.suffix == ".csv":
        pcsv.write_csv(table, partial)
    else:
        pq.write_table(table, partial)
    partial.replace(out)


def _check_out(option: str, out: Path) -> None:
    if out.suffix not in (".csv", ".parquet"):
        raise fail(f"{option} {out}: expected a .csv or .parquet file")
    if out.exists():
        raise fail(f"{option} {out}: the file exists (nothing written)")


@app.command("members")
def members_command(name: NameArgument, out: Annotated[Path, typer.Option("--out", help="A .csv or .parquet file.")],
                    evidence: Annotated[Path | None, typer.Option(
                        "--evidence", help="Also write, per person and rule, the entries (key, date) that made it "
                                           "hold (.csv or .parquet).", show_default=False)] = None,
                    version: VersionOption = None, analysis: AnalysisOption = None, db: DbOption = None,
                    user: UserOption = None, as_json: JsonOption = False, lang: LangOption = "en") -> None:
    """Write the members (pseudonym, index date, derived fields) for analysis, and with --evidence why they are in."""
    from oncobank.cohort import run, saved
    from oncobank.engine import connect

    _check_out("--out", out)
    if evidence is not None:
        _check_out("--evidence", evidence)
    _, members, _, _ = _result(name, version, analysis, db, user)
    if evidence is not None:
        definition = _guarded(lambda: saved.load(name, version))
        with _guarded(lambda: connect(analysis)) as store:
            found = _guarded(lambda: run(definition, store)).evidence
        _write_table(found, evidence)
    _write_table(members, out)
    if as_json:
        emit_json({"rows": members.num_rows, "path": str(out)})
        return
    console.print(word("written", lang).format(rows=members.num_rows, path=out), highlight=False)
