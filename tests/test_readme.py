"""The README's quickstart is what CI runs, and the package layout is what DESIGN.md says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_quickstart_has_exactly_two_command_lines():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert commands[0].endswith("accessplan demo")
    assert "[test]" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_line_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quickstart_commands()[1] in ci_lines


def test_packages_map_the_root_folders_without_an_accessplan_init():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    folders = ["spatial", "location", "capacity", "maps", "planner", "data"]
    assert mapping == {f"accessplan.{f}": f for f in folders}
    assert not (ROOT / "accessplan" / "__init__.py").exists()
    banned = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"]
    assert set(folders) <= set(banned)


def test_no_bare_folder_imports_in_the_code():
    pattern = re.compile(
        r"^\s*(from|import)\s+(spatial|location|capacity|maps|planner|data)\b", re.M
    )
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part in {".venv", "venv", "build"} for part in path.parts):
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_python_example_runs_and_conserves_supply():
    """The README's Python example works as printed; 2SFCA-family identity on its result."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    scope: dict = {"print": lambda *args: None}
    exec(compile(example, "README.md", "exec"), scope)
    result, demo = scope["result"], scope["demo"]
    need = demo.areas.set_index("area_id")["pop_65plus"]
    beds = demo.hospitals.set_index("site_id")["beds"]
    served = beds.drop(list(result.sites_without_population)).sum()
    assert abs((need * result.access).sum() - served) < 1e-6 * served
    assert result.access[~result.reaches_supply].eq(0).all()
    assert 0.03 < (~result.reaches_supply).mean() < 0.15
