"""The embedded CIBA simulator: PingFederate runtime + Admin API subset + PingOne stand-in + phones."""

from .engine import Devices, PendingPrompt, Stamp, TruthRecord
from .personas import Persona
from .server import Simulator
from .state import SimulatorSettings, SimulatorState

__all__ = ["Devices", "PendingPrompt", "Persona", "Simulator", "SimulatorSettings", "SimulatorState", "Stamp",
           "TruthRecord"]
