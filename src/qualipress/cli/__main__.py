"""``python -m qualipress.cli``: the same command line as the ``qualipress`` script."""

from qualipress.cli import run

if __name__ == "__main__":
    run()
