"""Entry point of the policy pack: `pulumi preview --policy-pack policy` runs this file.

The CLI runs it with `policy/` itself on `sys.path`; the repository root goes first so the pack
imports as the `policy` package, as it does in the tests.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy.pack import ENFORCEMENT, POLICY_PACK, policies

PolicyPack(name=POLICY_PACK, policies=policies(), enforcement_level=ENFORCEMENT)
