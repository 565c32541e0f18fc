"""Build step: compile the gettext catalogs (mailflow/locale/*/LC_MESSAGES/*.po -> .mo) into the package.

Runs for `pip install .`, `pip install -e .` and wheel builds (setuptools' build_py),
so an installed mailflow carries its .mo files and never compiles at run time.
A catalog with a message marked fuzzy or a broken placeholder fails the build.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).resolve().parent / "mailflow" / "locale"


def compile_catalogs(locale: Path = LOCALE) -> list[Path]:
    """Every <lang>/LC_MESSAGES/*.po under `locale` compiled beside it; returns the .mo files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        errors = [(m.id, e) for m, errs in catalog.check() for e in errs]
        if errors:
            raise SystemExit(f"{po}: {errors[0][0]!r}: {errors[0][1]}")
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class build_py_with_catalogs(build_py):  # noqa: N801  (setuptools' naming)
    def run(self) -> None:
        for mo in compile_catalogs():
            self.announce(f"compiled {mo}", level=2)
        super().run()


setup(cmdclass={"build_py": build_py_with_catalogs})
