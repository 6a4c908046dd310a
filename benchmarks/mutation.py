"""Mutation score per module: how many deliberate small bugs (mutants) the relevant tests kill.

    .venv/bin/python benchmarks/mutation.py                     # every module, small ones first
    .venv/bin/python benchmarks/mutation.py visibility figures  # some of them
    .venv/bin/python benchmarks/mutation.py --max-children 1 --survivors working-days

For each module it copies the project into a scratch folder (`--work`, default
/tmp/strategy-record-mutation/NAME), runs mutmut there over that module's files against that
module's test files only, and prints killed / tested and the score; --survivors lists the
mutants no test killed (read one with `cd SCRATCH && ../../.venv/bin/mutmut show NAME`).
Tests run on SQLite only: TEST_POSTGRES_URL points at a port nothing listens on, so the
PostgreSQL half of every database test skips (tests/conftest.py), and REQUIRE_POSTGRES is
unset. A re-run in the same scratch folder re-tests only what changed. It is a benchmark,
not part of the test run: a module takes minutes to tens of minutes on one core.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:9/unreachable"

# name: (files mutated, the test files that answer for them). Smallest first.
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "working-days": (
        ["app/rules/due_dates.py", "app/rules/calendar.py", "app/rules/dates.py"],
        ["tests/test_working_day_rules.py", "tests/test_workdays.py", "tests/test_dates_judged.py",
         "tests/test_rules.py"],
    ),
    # Against the rule asked directly: the route-level tests (test_who_sees_what.py, test_list.py,
    # test_permissions.py) ask the same questions but take about a minute a mutant.
    "visibility": (
        ["app/visibility.py"],
        ["tests/test_visibility_rules.py"],
    ),
    "sending-worker": (
        ["app/sending/worker.py"],
        ["tests/test_sending_worker.py", "tests/test_sending_crash.py", "tests/test_sending_outbox.py",
         "tests/test_sending_messages.py", "tests/test_observability.py",
         "tests/test_sending_delivery.py", "tests/test_links_notices.py",
         "tests/test_sending_claims.py"],
    ),
    "rules": (
        [f"app/rules/{name}.py" for name in (
            "children", "completeness", "core", "decision", "experience", "grounds", "header",
            "measures", "next_steps", "participants", "status", "timeliness", "workdays")],
        ["tests/test_rules.py", "tests/test_status.py", "tests/test_dates_judged.py",
         "tests/test_workdays.py", "tests/test_sending_timeliness.py", "tests/test_rules_edges.py"],
    ),
    "figures": (
        ["app/reports/figures.py", "app/reports/families.py", "app/reports/breakdowns.py",
         "app/reports/tally.py"],
        ["tests/test_figure_boundaries.py", "tests/test_report_figures.py",
         "tests/test_report_tally.py", "tests/test_report_tally_months.py",
         "tests/test_report_tally_keep.py"],
    ),
    # tally.py alone (the live audit's kept months), to score it in full without the module.
    # Not tests/test_report_pages.py: its PDF test fails under mutmut (the PDF worker's fork
    # server cannot start in mutmut's forked child), which would count every mutant as killed.
    "tally": (
        ["app/reports/tally.py"],
        ["tests/test_report_tally.py", "tests/test_report_tally_months.py",
         "tests/test_report_tally_keep.py", "tests/test_facts_after_the_meeting.py"],
    ),
    "followup": (
        ["app/followup/service.py", "app/followup/entries.py", "app/followup/projection.py",
         "app/followup/facts.py", "app/followup/lifecycle.py"],
        ["tests/test_followup_transitions.py", "tests/test_followup_tracker.py",
         "tests/test_followup_return_reasons.py", "tests/test_facts_after_the_meeting.py",
         "tests/test_discussion_cancelled.py", "tests/test_reprojection.py",
         "tests/test_projection_properties.py", "tests/test_followup_pages.py",
         "tests/test_practice_gaps.py"],
    ),
    # entries.py alone (the follow-up forms), to score it in full without the whole module.
    "followup-entries": (
        ["app/followup/entries.py"],
        ["tests/test_followup_entry_messages.py", "tests/test_followup_transitions.py",
         "tests/test_followup_tracker.py", "tests/test_followup_return_reasons.py",
         "tests/test_facts_after_the_meeting.py", "tests/test_discussion_cancelled.py",
         "tests/test_reprojection.py", "tests/test_projection_properties.py",
         "tests/test_followup_pages.py", "tests/test_practice_gaps.py"],
    ),
    # The module's other files (projection, facts, lifecycle, service), scored apart likewise.
    "followup-others": (
        ["app/followup/service.py", "app/followup/projection.py", "app/followup/facts.py",
         "app/followup/lifecycle.py"],
        ["tests/test_followup_transitions.py", "tests/test_followup_tracker.py",
         "tests/test_followup_return_reasons.py", "tests/test_facts_after_the_meeting.py",
         "tests/test_discussion_cancelled.py", "tests/test_reprojection.py",
         "tests/test_projection_properties.py", "tests/test_followup_pages.py",
         "tests/test_practice_gaps.py", "tests/test_followup_entry_messages.py",
         "tests/test_followup_lifecycle.py"],
    ),
}
# followup-others one file at a time (a run of all four stopped early), against the same tests.
for _file in ("facts", "lifecycle", "projection", "service"):
    MODULES[f"followup-{_file}"] = ([f"app/followup/{_file}.py"], MODULES["followup-others"][1])

COPIED = ["app", "tests", "migrations", "alembic.ini"]


def mutmut_config(mutated: list[str], tests: list[str]) -> str:
    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["app"]\n'
        f"only_mutate = {toml_list(mutated)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        'also_copy = ["migrations", "alembic.ini"]\n'
        "use_git_change_detection = false\n"
    )


def prepare(work: Path, mutated: list[str], tests: list[str]) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, work / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(pyproject + mutmut_config(mutated, tests))


def run_module(name: str, work_root: Path, max_children: int, survivors: bool,
               report_only: bool) -> dict:
    mutated, tests = MODULES[name]
    tests = [test for test in tests if (ROOT / test).exists()]
    work = work_root / name
    env = {key: value for key, value in os.environ.items() if key != "REQUIRE_POSTGRES"}
    env["TEST_POSTGRES_URL"] = UNREACHABLE_POSTGRES
    mutmut = [sys.executable, "-m", "mutmut"]
    started = time.monotonic()
    if not report_only:
        prepare(work, mutated, tests)
        subprocess.run([*mutmut, "run", "--max-children", str(max_children)], cwd=work,
                       env=env, stdout=subprocess.DEVNULL, check=False)
    elapsed = time.monotonic() - started
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=work, env=env,
                   stdout=subprocess.DEVNULL, check=True)
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    stats["seconds"] = round(elapsed)
    if survivors:
        listing = subprocess.run([*mutmut, "results"], cwd=work, env=env, capture_output=True,
                                 text=True, check=True).stdout
        stats["survivors"] = [line.strip() for line in listing.splitlines()
                              if line.strip() and not line.strip().endswith(": not checked")]
    return stats


def tested(stats: dict) -> int:
    """Mutants with a verdict: one no test reaches counts as surviving; one not yet run (a run
    stopped early) is left out."""
    return sum(stats[key] for key in ("killed", "timeout", "survived", "no_tests", "suspicious",
                                      "segfault"))


def score(stats: dict) -> float:
    """Killed (or timed out) over every mutant tested."""
    return 100.0 * (stats["killed"] + stats["timeout"]) / tested(stats) if tested(stats) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--work", type=Path, default=Path("/tmp/strategy-record-mutation"))
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--report-only", action="store_true",
                        help="print the scores of the last run in --work without running again")
    args = parser.parse_args()
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))}")
    for name in args.modules or list(MODULES):
        stats = run_module(name, args.work, args.max_children, args.survivors, args.report_only)
        killed = stats["killed"] + stats["timeout"]
        unrun = stats["total"] - stats["skipped"] - tested(stats)
        print(f"{name:15} {killed:4} of {tested(stats):4} mutants killed  {score(stats):5.1f}%  "
              f"({stats['survived']} survived, {stats['no_tests']} reached by no test"
              + (f", {unrun} NOT YET RUN: a partial score" if unrun else "")
              + f"; {stats['seconds']} s)", flush=True)
        for line in stats.get("survivors", []):
            print("    " + line)


if __name__ == "__main__":
    main()
