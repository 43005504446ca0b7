import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ec2fleet_emulator.pytest_plugin import *  # noqa: E402,F401,F403
