"""The eligibility engine: criteria as data, evaluated vectorised over enterprises.

Pure Python + NumPy; imports nothing from Django. See docs/rules-format.md for the ruleset format.
"""

from .definition import DefinitionError, parse_definition, validate_rulesets
from .evaluate import NearMiss, TierOutcome, date_inputs, evaluate, pack_bits, unpack_bits
from .facts import FactError, FactTable
from .logic import ELIGIBLE, INSUFFICIENT_DATA, NOT_ELIGIBLE, STATUS_NAMES
from .ruleset import Ruleset, select_ruleset
from .variables import VARIABLES, ParameterError, Variable

# Bump whenever the same facts and ruleset could now give a different outcome (a variable's formula,
# the logic, the encoding of facts): stored results carry it in their input hashes, so the next
# recompute rewrites them instead of keeping outcomes computed by the old code.
ENGINE_REVISION = 2

__all__ = [
    "ELIGIBLE",
    "ENGINE_REVISION",
    "INSUFFICIENT_DATA",
    "NOT_ELIGIBLE",
    "STATUS_NAMES",
    "VARIABLES",
    "DefinitionError",
    "FactError",
    "FactTable",
    "NearMiss",
    "ParameterError",
    "Ruleset",
    "TierOutcome",
    "Variable",
    "date_inputs",
    "evaluate",
    "pack_bits",
    "parse_definition",
    "select_ruleset",
    "unpack_bits",
    "validate_rulesets",
]
