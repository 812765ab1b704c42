"""Radioiodine activity: conversion between mCi, MBq and GBq, and cumulative I-131 therapy activity per patient."""

from __future__ import annotations

from functools import cache

import pandas as pd

from oncobank.dictionary import load_module
from oncobank.dictionary.units import UnitSystem

# Entered values are converted to MBq with floating-point factors; 600 mCi entered as 100 + 150 + 150 + 200
# may add up to 22,199.999999999996 MBq, which is still 600 mCi.
TOLERANCE_MBQ = 1e-6


@cache
def _units() -> UnitSystem:
    return load_module("thyroid").units


def convert(value: float, unit: str, to: str) -> float:
    """An activity in `unit` expressed in `to` (any of mCi, MBq, GBq, kBq, Ci, Bq; spellings like мКи too)."""
    return value * _units().factor(unit, to)


def in_all_units(mbq: float) -> dict[str, float]:
    """An activity in MBq, GBq and mCi (rounded to 6 decimals, so 22,200 MBq shows as 600 mCi)."""
    gbq, mci = convert(mbq, "MBq", "GBq"), convert(mbq, "MBq", "mCi")
    return {"mbq": round(mbq, 6), "gbq": round(gbq, 6), "mci": round(mci, 6)}


def reaches_threshold(mbq: float | pd.Series, threshold_mbq: float) -> bool | pd.Series:
    """True where a cumulative activity (MBq) is at least the threshold (MBq), allowing for conversion noise."""
    return mbq >= threshold_mbq - TOLERANCE_MBQ


def therapy_courses(radioiodine: pd.DataFrame) -> pd.DataFrame:
    """I-131 therapy entries in date order with the running total per patient (`cumulative_mbq`).

    `radioiodine` is the section frame (activity in the canonical MBq); a course with no activity adds 0.
    """
    courses = radioiodine[(radioiodine["procedure"] == "therapy") & (radioiodine["isotope"] == "I-131")].copy()
    courses["activity"] = courses["activity"].astype("float64").fillna(0.0)
    courses = courses.sort_values(["patient_id", "date", "entry_id"], kind="stable")
    courses["course"] = courses.groupby("patient_id").cumcount() + 1
    courses["cumulative_mbq"] = courses.groupby("patient_id")["activity"].cumsum()
    return courses


def cumulative_activity(radioiodine: pd.DataFrame) -> pd.DataFrame:
    """Per patient: number of I-131 therapy courses, first and last course date, total in MBq, GBq and mCi."""
    courses = therapy_courses(radioiodine)
    totals = courses.groupby("patient_id").agg(
        courses=("course", "max"),
        first_course=("date", "min"),
        last_course=("date", "max"),
        mbq=("activity", "sum"),
        last_version_id=("version_id", "max"),
    )
    totals["gbq"] = totals["mbq"] * convert(1.0, "MBq", "GBq")
    totals["mci"] = totals["mbq"] * convert(1.0, "MBq", "mCi")
    return totals.reset_index()
