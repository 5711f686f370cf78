import sys

from softphone.cli import main

sys.exit(main())
