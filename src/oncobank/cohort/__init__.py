"""Cohort search on the analysis store: criteria trees compiled once to Ibis, attrition, evidence, sentences."""

from oncobank.cohort.fields import CohortError
from oncobank.cohort.model import SCHEMA_VERSION, Cohort, Group, Leaf, Rule
from oncobank.cohort.run import CohortResult, run

__all__ = ["SCHEMA_VERSION", "Cohort", "CohortError", "CohortResult", "Group", "Leaf", "Rule", "run"]
