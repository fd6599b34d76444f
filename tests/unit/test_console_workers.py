"""Every `@work` in deskapp/ has `exit_on_error=False`: a failed worker is reported by the
screen and the app (deskapp.app.DeskApp.report_worker_error), never ends the console with
WorkerFailed (`~nosuchuser/x.csv` as the export path did)."""

from __future__ import annotations

import ast
from pathlib import Path

import deskapp

DESKAPP = Path(deskapp.__file__).parent


def _is_work(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Name) and target.id == "work") or (
        isinstance(target, ast.Attribute) and target.attr == "work"
    )


def workers_without_exit_on_error(source: str, name: str = "<source>") -> list[str]:
    """`file:line function` of every @work decorator that lets a failure end the app."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not _is_work(decorator):
                continue
            keywords = {k.arg: k.value for k in decorator.keywords} if isinstance(decorator, ast.Call) else {}
            value = keywords.get("exit_on_error")
            if not (isinstance(value, ast.Constant) and value.value is False):
                found.append(f"{name}:{decorator.lineno} {node.name}")
    return found


def test_the_check_finds_a_worker_without_exit_on_error():
    source = (
        "from textual import work\n"
        "class S:\n"
        "    @work(exclusive=True)\n"
        "    async def a(self): ...\n"
        "    @work\n"
        "    def b(self): ...\n"
        "    @work(exit_on_error=True)\n"
        "    def c(self): ...\n"
        "    @work(thread=True, exit_on_error=False)\n"
        "    def d(self): ...\n"
    )
    assert workers_without_exit_on_error(source) == ["<source>:3 a", "<source>:5 b", "<source>:7 c"]


def test_every_console_worker_has_exit_on_error_false():
    files = sorted(DESKAPP.rglob("*.py"))
    workers = sum(path.read_text(encoding="utf-8").count("@work") for path in files)
    assert workers >= 29  # the walk sees the console's workers (29 when this test was written)
    bad = [w for path in files for w in workers_without_exit_on_error(path.read_text(encoding="utf-8"),
                                                                      str(path.relative_to(DESKAPP)))]
    assert bad == []
