"""What is shown in place of a secret, everywhere the Python side prints one.

The plugin shows the same text (``LogSafe.MASK`` in the Java config package, which its
validator puts in a problem's value): ``lavametrics config`` prints the validator's problems
next to its own masked values, and one mask means one thing to look for. tests/unit/test_validate.py
holds the two equal.
"""

MASK = "****"
