"""``python -m govchain.cli``: the same as the ``govchain`` entry point."""

from govchain.cli.app import main

if __name__ == "__main__":
    main()
