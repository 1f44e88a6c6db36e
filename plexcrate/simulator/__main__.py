"""``python -m plexcrate.simulator --tracks N --port P --token T --seed S``."""

from plexcrate.simulator.runner import main

main()
