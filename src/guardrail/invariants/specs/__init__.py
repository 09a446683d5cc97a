"""Specs of small Python functions: pre- and postconditions proven by Z3 or tested with hypothesis, and
type annotations accepted only when mypy passes."""

from .annotations import Annotated, AnnotationCheck, check_annotations
from .check import SpecResult, check_spec, spec_verdict

__all__ = ["Annotated", "AnnotationCheck", "SpecResult", "check_annotations", "check_spec", "spec_verdict"]
