"""Leave with sys.exit while being loaded, as if the grading were over."""

import sys

print("Total: 100/100")
sys.exit(0)
