"""The README's settings table, made from the Settings object (the one list of settings).

python scripts/settings_table.py            # print it
python scripts/settings_table.py README.md  # rewrite the block between the markers
"""

import re
import sys
from pathlib import Path

from sabi.acquire import bilibili
from sabi.settings import ENV_PREFIX, settings_class

bilibili.register()  # its [bilibili] table is a setting too

START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def table() -> str:
    rows = ["| key | default | environment | what it does |", "|---|---|---|---|"]
    cls = settings_class()
    defaults = cls.model_construct()
    for name, field in cls.model_fields.items():
        value = getattr(defaults, name)
        shown = f"`{value}`" if value not in ("", None) else "(empty)"
        env = f"{ENV_PREFIX}{name.upper()}"
        rows.append(f"| `{name}` | {shown} | `{env}` | {field.description} |")
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) < 2:
        print(table())
        return
    path = Path(sys.argv[1])
    text = path.read_text()
    block = f"{START}\n{table()}\n{END}"
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    path.write_text(new)


if __name__ == "__main__":
    main()
