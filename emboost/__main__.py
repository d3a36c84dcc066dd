import sys

from emboost.cli import main

sys.exit(main())
