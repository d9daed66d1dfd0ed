"""``python -m govchain.demo [--json] [--keep DIR]``."""

from govchain.demo.cli import main

main()
