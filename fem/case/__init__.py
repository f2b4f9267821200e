"""Case files: TOML in, SI out (:func:`load_case`)."""

from fem.case.loader import apply_overrides, load_case, load_case_dict
from fem.case.model import Case

__all__ = ["Case", "apply_overrides", "load_case", "load_case_dict"]
