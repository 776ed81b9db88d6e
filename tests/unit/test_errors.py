"""One exception root: every error class of the package derives from LavametricsError, and
the CLI turns any of them into its one line and exit status."""

import importlib
import inspect
import pkgutil

import lavametrics
from lavametrics.cli import main
from lavametrics.errors import LavametricsError


def _error_classes():
    for info in pkgutil.walk_packages(lavametrics.__path__, "lavametrics."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == info.name
                and not name.startswith("_")
            ):
                yield f"{info.name}.{name}", obj


def test_every_error_of_the_package_has_the_one_root():
    found = dict(_error_classes())
    assert len(found) >= 20  # the walk found them: a broken walk would pass vacuously
    outside = sorted(n for n, cls in found.items() if not issubclass(cls, LavametricsError))
    assert not outside, f"derive these from lavametrics.errors.LavametricsError: {outside}"


def test_the_cli_reports_any_of_them_in_one_line_with_its_exit_status(capsys, monkeypatch):
    from lavametrics.cli import check

    class Odd(LavametricsError):
        exit_code = 3

    def fails(_args):
        raise Odd("the node said no")

    monkeypatch.setattr(check, "run_check", fails)
    code = main(["check", "http://127.0.0.1:9", "--password", "p"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (3, "", "lavametrics: error: the node said no\n")
