"""Laurel's engine and commendation domain: framework-free (no Flask, no PDF code here).

The public surface of the engine is re-exported here; see the modules for the details.
"""

from .actor import SYSTEM, Actor
from .engine import Engine, Option
from .errors import Blocked, Conflict, DefinitionError, WorkflowError
from .loader import Definitions, load_definitions
from .reasons import Reason
from .registry import Registry

__all__ = ["Actor", "SYSTEM", "Engine", "Option", "Blocked", "Conflict", "DefinitionError",
           "WorkflowError", "Definitions", "load_definitions", "Reason", "Registry"]
