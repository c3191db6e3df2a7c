"""docs/metrics.md lists every metric key with its direction and groups, as keys.py does."""

from pathlib import Path

from sodbench.metrics.keys import GROUPS, KEYS

PAGE = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def _rows() -> dict[str, list[str]]:
    text = PAGE.read_text(encoding="utf-8").split("## Every key", 1)[1]
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_key_is_listed_with_its_direction_and_groups():
    rows = _rows()
    assert list(rows) == list(KEYS)
    for name, key in KEYS.items():
        _, direction, _, groups, page = rows[name]
        expected = "–" if key.informational else ("↓" if key.lower_is_better else "↑")
        assert direction == expected, name
        listed = {group for group in GROUPS if group != "all" and name in GROUPS[group]}
        assert set(filter(None, (g.strip() for g in groups.split(",")))) - {"–"} == listed, name
        target = PAGE.parent / page.split("(", 1)[1].rstrip(")")
        assert target.name.endswith(".md"), name


def test_every_family_page_exists():
    pages = {cells[4].split("(", 1)[1].rstrip(")") for cells in _rows().values()}
    missing = [page for page in pages if not (PAGE.parent / page).is_file()]
    assert not missing, f"docs pages missing: {missing}"
